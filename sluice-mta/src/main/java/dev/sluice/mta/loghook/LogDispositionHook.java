package dev.sluice.mta.loghook;

import dev.sluice.mta.log.DispositionHook;
import dev.sluice.mta.log.LogConfig;
import dev.sluice.mta.log.LogDispositionHookConfig;
import dev.sluice.mta.log.LogRecord;
import dev.sluice.mta.message.Message;
import dev.sluice.mta.policy.LuaMessage;
import dev.sluice.policy.Policy;
import dev.sluice.policy.PolicyException;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code kumo.configure_log_disposition_hook}: each record about a message fires
 * {@code log_disposition_<name>(msg, record)}, {@code msg} being the message as it was when the record was made
 * and {@code record} the log record as a table (the fields KumoMTA's records have, as in the log files; no
 * {@code meta} or {@code headers} selection: both are empty, as KumoMTA passes them). Nothing is queued or spooled;
 * what the handler returns is ignored, and a handler that fails is logged and the next record goes on.
 *
 * <p>KumoMTA calls the event on the path that made the record, so that a handler can still read a message about
 * to leave the spool. Sluice's records carry the message's data in memory, so the handler runs on the hook's own
 * thread instead (records wait in a queue of {@link LogConfig#DEFAULT_BACK_PRESSURE}; producers block only while
 * it is full): the spool's commit thread and the delivery path never wait for Lua. Changes the handler makes to
 * {@code msg} are to that copy and do not reach the spool. Records still queued at shutdown are not passed on.
 */
public final class LogDispositionHook implements DispositionHook, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LogDispositionHook.class);

    private record Entry(LogRecord record, Message message) {}

    private final LogDispositionHookConfig config;
    private final Policy policy;
    private final UUID nodeId;
    private final HookThread<Entry> thread;

    private LogDispositionHook(LogDispositionHookConfig config, Policy policy, UUID nodeId) {
        this.config = config;
        this.policy = policy;
        this.nodeId = nodeId;
        this.thread = new HookThread<>("log-disposition-hook " + config.name(), LogConfig.DEFAULT_BACK_PRESSURE,
                this::handle);
    }

    /**
     * Starts the hook's thread.
     *
     * @param nodeId the records' {@code nodeid}, as the log writers fill it in
     */
    public static LogDispositionHook start(LogDispositionHookConfig config, Policy policy, UUID nodeId) {
        LogDispositionHook hook = new LogDispositionHook(config, policy, nodeId);
        hook.thread.start();
        return hook;
    }

    @Override
    public LogDispositionHookConfig config() {
        return config;
    }

    @Override
    public void offer(LogRecord record, Message message) throws InterruptedException {
        thread.put(new Entry(record, message));
    }

    private void handle(Entry e) {
        try {
            fire(e);
        } catch (RuntimeException failure) {
            LOG.error("log disposition hook {}: a {} record of {} was not passed on", config.name(),
                    e.record().type(), e.record().id(), failure);
        }
    }

    private void fire(Entry e) {
        if (!policy.hasHandler(config.event())) {
            return;
        }
        try {
            policy.call(config.event(), new LuaMessage(e.message()), LogHook.table(LogHook.withNodeId(e.record(), nodeId)));
        } catch (PolicyException failure) {
            LOG.warn("log disposition hook {}: {} failed for the {} record of {}: {}", config.name(), config.event(),
                    e.record().type(), e.record().id(), failure.getMessage());
        } catch (IllegalStateException closing) {
            // the policy is closing
        }
    }


    /** Stops the thread; records still queued are not passed on. */
    @Override
    public void close() {
        int left = thread.close();
        if (left > 0) {
            LOG.warn("log disposition hook {}: {} records were not passed on at shutdown", config.name(), left);
        }
    }
}
