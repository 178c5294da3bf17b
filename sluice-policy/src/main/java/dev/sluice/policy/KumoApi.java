package dev.sluice.policy;

import java.util.List;
import java.util.Set;

/** Facts about KumoMTA's Lua API that the runtime mirrors. */
public final class KumoApi {
    private KumoApi() {}

    /**
     * Events that accept several handlers (KumoMTA declares them {@code Multiple}); handlers run in
     * registration order until one returns non-nil, except those of {@link #RUN_ALL_EVENTS}. Any other event
     * takes one handler: a second {@code kumo.on} for it is an error naming the first registration.
     */
    public static final Set<String> MULTIPLE_HANDLER_EVENTS = Set.of("pre_init", "validate_config",
            "get_queue_config", "throttle_insert_ready_queue", "should_enqueue_log_record", "requeue_message",
            "get_acl_definition");

    /** Multi-handler events whose handlers all run, whatever each returns. */
    public static final Set<String> RUN_ALL_EVENTS = Set.of("pre_init", "validate_config");

    /** Sub-modules of {@code kumo} that exist as tables; their functions raise "not implemented" until filled in. */
    public static final List<String> SUBMODULES = List.of(
            "aaa", "amqp", "api", "cidr", "crypto", "digest", "dkim", "dmarc", "dns", "domain_map",
            "encode", "fs", "http", "kafka", "memcache", "mimepart", "mpsc", "nats", "redis", "regex",
            "secrets", "serde", "shaping", "spf", "sqlite", "string", "time", "tsa", "uuid", "xfer");

    /**
     * The event {@link Policy#call} runs to deliver one message through a queue's {@code custom_lua} protocol, with
     * arguments (constructor event name, batched, domain, tenant, campaign, message): it calls the constructor's
     * handler, then the connection's {@code send} (or {@code send_batch} when batched) and {@code close}, and
     * returns the disposition text. Built into the bootstrap (a Sluice event, not one a policy registers).
     */
    public static final String CUSTOM_LUA_DELIVER = "sluice:custom_lua_deliver";
}
