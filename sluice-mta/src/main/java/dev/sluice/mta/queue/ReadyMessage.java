package dev.sluice.mta.queue;

import dev.sluice.egress.route.DestinationPlanner;
import dev.sluice.mta.message.Message;
import dev.sluice.policy.egress.EgressSource;
import dev.sluice.policy.egress.QueueProtocol;

/**
 * A message whose time has come, placed in the ready queue of one egress source and one site: the
 * scheduled queue picked the source (pool WRR) and, for SMTP, planned the destinations (mx_list or MX, path config).
 *
 * @param message   the message (the dispatcher may read it from any thread; it does not change it)
 * @param queueName the scheduled queue, {@code campaign:tenant@domain!routing_domain} with parts left out
 * @param poolName  the egress pool the source came from
 * @param source    the egress source chosen
 * @param plan      where to deliver over SMTP: site name, the path config for (source, site), destinations in
 *                  order; null for {@code custom_lua}
 * @param attempt   1 for the first attempt, then 2, 3, ... (the log record's num_attempts)
 * @param protocol  how it leaves: SMTP by the plan, or the policy's {@code custom_lua} constructor
 */
public record ReadyMessage(Message message, String queueName, String poolName, EgressSource source,
                           DestinationPlanner.Plan plan, int attempt, QueueProtocol protocol) {

    public ReadyMessage {
        if (protocol instanceof QueueProtocol.Smtp && plan == null) {
            throw new IllegalArgumentException("an SMTP delivery needs a plan");
        }
    }

    /** A message for SMTP delivery by {@code plan}. */
    public ReadyMessage(Message message, String queueName, String poolName, EgressSource source,
                        DestinationPlanner.Plan plan, int attempt) {
        this(message, queueName, poolName, source, plan, attempt, QueueProtocol.Smtp.BY_MX);
    }

    /**
     * The ready queue this message belongs to: {@code <source>-><site>@smtp_client}, as KumoMTA names it, or
     * {@code <source>-><queue>@lua:<constructor>} for custom_lua.
     */
    public String readyQueueName() {
        return switch (protocol) {
            case QueueProtocol.Smtp smtp -> source.name() + "->" + plan.siteName() + "@smtp_client";
            case QueueProtocol.CustomLua lua -> source.name() + "->" + queueName + "@lua:" + lua.constructor();
        };
    }

    /** The log record's site: the MX site for SMTP, the ready queue's name for custom_lua (as KumoMTA logs it). */
    public String siteName() {
        return protocol instanceof QueueProtocol.CustomLua ? readyQueueName() : plan.siteName();
    }

    /** The provider this message counts under: the shaping's provider_name when set, else its site. */
    public String provider() {
        return plan == null ? siteName() : plan.path().providerName().orElse(plan.siteName());
    }
}
