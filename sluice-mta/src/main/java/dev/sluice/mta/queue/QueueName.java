package dev.sluice.mta.queue;

import dev.sluice.mta.message.Message;

/**
 * A scheduled queue's name and parts: {@code campaign:tenant@domain!routing_domain}, parts left out when unset
 * ({@code campaign:@domain} when only the campaign is set, as KumoMTA writes it),
 * from the message's meta {@code campaign}, {@code tenant}, {@code routing_domain}; meta {@code queue} names the
 * queue outright (KumoMTA's override), and the name {@code null} means "discard".
 */
public record QueueName(String name, String campaign, String tenant, String domain, String routingDomain) {
    public static final String NULL_QUEUE = "null";

    public static QueueName of(Message m) {
        String campaign = string(m.meta("campaign"));
        String tenant = string(m.meta("tenant"));
        String routing = string(m.meta("routing_domain"));
        String domain = m.recipientDomain();
        String override = string(m.meta("queue"));
        if (override != null) {
            return parse(override);
        }
        return new QueueName(format(campaign, tenant, domain, routing), campaign, tenant, domain, routing);
    }

    /**
     * Splits a queue name back into its parts (for the {@code queue} meta override), as KumoMTA does: the part before
     * the first {@code @} is {@code campaign:tenant} (or the tenant alone), the rest the domain and, after its first
     * {@code !}, the routing domain; a name without {@code @} is all domain, so that names such as
     * {@code http://127.0.0.1:8008.tsa.kumomta} (the shaping helper's publisher queue) keep their colons.
     */
    public static QueueName parse(String name) {
        String rest = name;
        String campaign = null;
        String tenant = null;
        String routing = null;
        int at = rest.indexOf('@');
        if (at >= 0) {
            String prefix = rest.substring(0, at);
            rest = rest.substring(at + 1);
            int colon = prefix.indexOf(':');
            if (colon >= 0) {
                campaign = prefix.substring(0, colon);
                prefix = prefix.substring(colon + 1);
            }
            tenant = prefix.isEmpty() ? null : prefix;
        }
        int bang = rest.indexOf('!');
        if (bang >= 0) {
            routing = rest.substring(bang + 1);
            rest = rest.substring(0, bang);
        }
        return new QueueName(name, campaign, tenant, rest, routing);
    }

    public static String format(String campaign, String tenant, String domain, String routingDomain) {
        StringBuilder b = new StringBuilder();
        if (campaign != null) {
            // KumoMTA keeps the '@' when only the campaign is set: campaign:@domain
            b.append(campaign).append(':').append(tenant == null ? "" : tenant).append('@');
        } else if (tenant != null) {
            b.append(tenant).append('@');
        }
        b.append(domain);
        if (routingDomain != null) {
            b.append('!').append(routingDomain);
        }
        return b.toString();
    }

    public boolean isNull() {
        return NULL_QUEUE.equals(name);
    }

    /** Where the mail goes: the routing domain when set, else the recipient domain. */
    public String deliveryDomain() {
        return routingDomain != null ? routingDomain : domain;
    }

    private static String string(Object v) {
        return v == null ? null : v.toString();
    }
}
