package dev.sluice.mta.queue;

import dev.sluice.mta.message.Message;
import dev.sluice.policy.egress.SchedQueueName;

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

    /** Splits a queue name back into its parts (for the {@code queue} meta override): {@link SchedQueueName#parse}. */
    public static QueueName parse(String name) {
        SchedQueueName p = SchedQueueName.parse(name);
        return new QueueName(p.name(), p.campaign(), p.tenant(), p.domain(), p.routingDomain());
    }

    /** {@link SchedQueueName#format}. */
    public static String format(String campaign, String tenant, String domain, String routingDomain) {
        return SchedQueueName.format(campaign, tenant, domain, routingDomain);
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
