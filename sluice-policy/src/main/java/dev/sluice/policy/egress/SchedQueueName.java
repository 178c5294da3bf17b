package dev.sluice.policy.egress;

/**
 * KumoMTA's scheduled queue name and its parts: {@code campaign:tenant@domain!routing_domain}, parts left out when
 * unset ({@code campaign:@domain} when only the campaign is set, as KumoMTA writes it). The one parser of queue names:
 * the MTA's queues and the TSA daemon's log records both read names with it.
 */
public record SchedQueueName(String name, String campaign, String tenant, String domain, String routingDomain) {
    /**
     * Splits a queue name into its parts, as KumoMTA does: the part before the first {@code @} is
     * {@code campaign:tenant} (or the tenant alone), the rest the domain and, after its first {@code !}, the routing
     * domain; a name without {@code @} is all domain, so that names such as {@code http://127.0.0.1:8008.tsa.kumomta}
     * (the shaping helper's publisher queue) keep their colons. An empty campaign or tenant is unset.
     */
    public static SchedQueueName parse(String name) {
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
        return new SchedQueueName(name, campaign == null || campaign.isEmpty() ? null : campaign, tenant, rest, routing);
    }

    /** The name of a queue with these parts (null parts left out). */
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
}
