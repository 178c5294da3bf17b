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
}
