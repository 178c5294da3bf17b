package dev.sluice.mta.admin;

import dev.sluice.mta.queue.QueueName;
import java.util.List;
import java.util.Objects;

/**
 * Which scheduled queues an admin bounce or suspension applies to, as KumoMTA matches them: {@code queueNames},
 * when not empty, lists the exact queue names and the other fields are not looked at; otherwise each field that is
 * set must equal the queue's part (a queue without a tenant does not match {@code tenant = "x"}); nothing set
 * matches every queue.
 */
public record AdminCriteria(String campaign, String tenant, String domain, String routingDomain,
                            List<String> queueNames) {
    public AdminCriteria {
        queueNames = List.copyOf(queueNames);
    }

    public boolean matches(QueueName q) {
        if (!queueNames.isEmpty()) {
            return queueNames.contains(q.name());
        }
        return part(q.campaign(), campaign) && part(q.tenant(), tenant) && part(q.domain(), domain)
                && part(q.routingDomain(), routingDomain);
    }

    /** Nothing set: every queue. */
    public boolean everything() {
        return queueNames.isEmpty() && campaign == null && tenant == null && domain == null && routingDomain == null;
    }

    private static boolean part(String actual, String wanted) {
        return wanted == null || Objects.equals(actual, wanted);
    }
}
