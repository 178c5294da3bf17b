package dev.sluice.policy;

import java.util.Set;

/**
 * Every event Sluice fires: the one place to add an event's name in the same change that starts firing it.
 * {@code sluice check} reports a handler for any other name ({@code kumo.on('x', …)}) as one that never runs.
 *
 * <p>Besides these names, a handler whose name contains a dot ({@code make.webhook}) is taken as a constructor
 * that a queue config names ({@code protocol = { custom_lua = { constructor = 'make.webhook' } }}): KumoMTA's own
 * events are single words joined by underscores, never dotted.
 *
 * <p>The names that start with one of {@link #FAMILIES} are fired for a name the policy configures:
 * {@code log_disposition_<name>} for each {@code kumo.configure_log_disposition_hook{name = ...}}
 * ({@code sluice check} reports a handler whose hook is not configured).
 */
public final class FiredEvents {
    private FiredEvents() {}

    /** The events, by the program that fires them. */
    public static final Set<String> NAMES = Set.of(
            // sluice mta: start and stop
            "pre_init", "init", "shutdown", "shutdown_logging",
            // sluice check
            "validate_config",
            // reception
            "smtp_server_get_dynamic_parameters", "get_listener_domain", "smtp_server_ehlo", "smtp_server_mail_from", "smtp_server_rcpt_to",
            "smtp_server_data", "smtp_server_auth_plain", "smtp_server_message_received",
            "http_server_validate_auth_basic", "http_message_generated",
            // queues and delivery
            "get_queue_config", "throttle_insert_ready_queue", "get_egress_source", "get_egress_pool", "get_egress_path_config",
            "smtp_client_rewrite_delivery_status",
            // the operator's rebind (POST /api/admin/rebind/v1 with trigger_rebind_event)
            "rebind_message",
            // a message transferred from another node (POST /api/xfer/inject/v1)
            "xfer_message_received",
            // logs
            "should_enqueue_log_record",
            // sluice proxy
            "proxy_init", "proxy_server_auth_rfc1929");

    /** Prefixes of event names completed by a name the policy configures. */
    public static final Set<String> FAMILIES = Set.of(
            // logs: kumo.configure_log_disposition_hook{name}
            "log_disposition_");

    /** Whether a handler registered as {@code name} can ever run. */
    public static boolean fires(String name) {
        return NAMES.contains(name) || name.indexOf('.') > 0
                || FAMILIES.stream().anyMatch(prefix -> name.startsWith(prefix) && name.length() > prefix.length());
    }
}
