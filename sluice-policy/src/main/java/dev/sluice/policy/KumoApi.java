package dev.sluice.policy;

import java.util.List;
import java.util.Set;

/** Facts about KumoMTA's Lua API that the runtime mirrors. */
public final class KumoApi {
    private KumoApi() {}

    /**
     * Events that accept several handlers (KumoMTA declares them {@code Multiple}); handlers run in
     * registration order until one returns non-nil. Every other event keeps only its last handler.
     */
    public static final Set<String> MULTIPLE_HANDLER_EVENTS = Set.of("pre_init", "get_queue_config", "validate_config");

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
