package dev.sluice.mta.admin;

import dev.sluice.mta.message.Message;
import dev.sluice.mta.policy.LuaMessage;
import dev.sluice.mta.queue.QueueName;
import dev.sluice.mta.queue.XferQueue;
import dev.sluice.policy.ConfigException;
import dev.sluice.policy.LuaModule;
import java.net.URI;
import java.util.List;

/**
 * KumoMTA's {@code kumo.xfer} functions over the transfer queues of {@code POST /api/admin/xfer/v1}
 * ({@link XferQueue}):
 * <ul>
 *   <li>{@code kumo.xfer.xfer(msg, target_url[, reason])}: the message's queue becomes the transfer queue of
 *       {@code target_url} (its own queue info saved in its meta), so that it is sent to that node once scheduled;
 *       already bound there: nothing changes; bound to another node: that transfer is cancelled first;</li>
 *   <li>{@code kumo.xfer.cancel_xfer(msg[, reason])}: a message bound for a transfer gets its own queue back;</li>
 *   <li>{@code kumo.xfer.get_xfer_target(msg)}: the target URL of its transfer, or nil.</li>
 * </ul>
 * With a {@code reason}, a change is logged as an AdminRebind record (once the MTA's queues run). Scheduling is not
 * changed. {@code kumo.xfer.xfer_in_requeue} is not provided: it belongs to the {@code requeue_message} event, which
 * Sluice does not fire.
 */
public final class XferLuaModule implements LuaModule {
    static final String MODULE = "kumo.xfer";

    private final AdminControl admin;

    public XferLuaModule(AdminControl admin) {
        this.admin = admin;
    }

    @Override
    public void install(Registrar registrar) {
        registrar.function(MODULE, "xfer", args -> {
            Message m = message(args, "xfer");
            if (!(arg(args, 1) instanceof String url)) {
                throw new ConfigException("kumo.xfer.xfer: target_url must be a string");
            }
            URI target;
            try {
                target = XferQueue.normalize(URI.create(url));
            } catch (IllegalArgumentException e) {
                throw new ConfigException("kumo.xfer.xfer: " + e.getMessage());
            }
            String before = QueueName.of(m).name();
            if (before.equals(XferQueue.queueName(target))) {
                return null;
            }
            if (XferQueue.isXferQueue(before)) {
                XferQueue.restore(m);
            }
            XferQueue.save(m, target);
            logged(m, before, reason(args, 2, "xfer"));
            return null;
        });
        registrar.function(MODULE, "cancel_xfer", args -> {
            Message m = message(args, "cancel_xfer");
            String before = QueueName.of(m).name();
            if (XferQueue.isXferQueue(before)) {
                XferQueue.restore(m);
                logged(m, before, reason(args, 1, "cancel_xfer"));
            }
            return null;
        });
        registrar.function(MODULE, "get_xfer_target", args ->
                XferQueue.target(QueueName.of(message(args, "get_xfer_target")).name()).map(URI::toString)
                        .orElse(null));
    }

    private void logged(Message m, String before, String reason) {
        var queues = admin.attachedQueues();
        if (reason != null && queues != null) {
            queues.logRebind(m, before, reason);
        }
    }

    private static Message message(List<Object> args, String fn) {
        if (!(arg(args, 0) instanceof LuaMessage msg)) {
            throw new ConfigException("kumo.xfer." + fn + ": the first argument must be a message");
        }
        return msg.message();
    }

    private static String reason(List<Object> args, int i, String fn) {
        Object r = arg(args, i);
        if (r != null && !(r instanceof String)) {
            throw new ConfigException("kumo.xfer." + fn + ": the reason must be a string or nil");
        }
        return (String) r;
    }

    private static Object arg(List<Object> args, int i) {
        return i < args.size() ? args.get(i) : null;
    }
}
