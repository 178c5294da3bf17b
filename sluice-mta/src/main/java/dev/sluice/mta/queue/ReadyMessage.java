package dev.sluice.mta.queue;

import dev.sluice.egress.route.DestinationPlanner;
import dev.sluice.mta.message.Message;
import dev.sluice.policy.egress.EgressSource;

/**
 * A message whose time has come, placed in the ready queue of one egress source and one site: the
 * scheduled queue picked the source (pool WRR) and planned the destinations (mx_list or MX, path config).
 *
 * @param message   the message (the dispatcher may read it from any thread; it does not change it)
 * @param queueName the scheduled queue, {@code campaign:tenant@domain!routing_domain} with parts left out
 * @param poolName  the egress pool the source came from
 * @param source    the egress source chosen
 * @param plan      where to deliver: site name, the path config for (source, site), destinations in order
 * @param attempt   1 for the first attempt, then 2, 3, ... (the log record's num_attempts)
 */
public record ReadyMessage(Message message, String queueName, String poolName, EgressSource source,
                           DestinationPlanner.Plan plan, int attempt) {

    /** The ready queue this message belongs to: {@code <source>-><site>@smtp_client}, as KumoMTA names it. */
    public String readyQueueName() {
        return source.name() + "->" + plan.siteName() + "@smtp_client";
    }
}
