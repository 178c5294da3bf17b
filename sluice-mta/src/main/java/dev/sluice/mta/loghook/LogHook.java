package dev.sluice.mta.loghook;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.mta.log.LogHookConfig;
import dev.sluice.mta.log.LogRecord;
import dev.sluice.mta.log.RecordHook;
import dev.sluice.mta.message.Message;
import dev.sluice.mta.message.MessageId;
import dev.sluice.mta.policy.LuaMessage;
import dev.sluice.mta.queue.QueueName;
import dev.sluice.mta.spool.Spool;
import dev.sluice.policy.Policy;
import dev.sluice.policy.PolicyException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code kumo.configure_log_hook}: every record it is offered becomes a message, as KumoMTA makes it (sender
 * and recipient of the record, data = the record's JSON, meta {@code log_record} = the record and
 * {@code reception_protocol = "LogRecord"}), which {@code should_enqueue_log_record(msg, name)} keeps (true) or
 * drops (anything else). A kept message is spooled and scheduled in the queue its meta names ({@code queue}, as
 * the policy set it), where its queue config (normally {@code custom_lua}) delivers it with retries like any
 * message; the {@code null} queue drops it.
 *
 * <p>Records wait in a queue of {@code back_pressure} entries for the hook's own thread, so the policy call never
 * runs on a producer's thread; producers block only while that queue is full. Records still queued at shutdown
 * are not hooked (their messages were not made yet), as in KumoMTA.
 */
public final class LogHook implements RecordHook, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LogHook.class);
    public static final String EVENT = "should_enqueue_log_record";
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.USE_LONG_FOR_INTS);
    private static final TypeReference<LinkedHashMap<String, Object>> MAP = new TypeReference<>() {};

    private final LogHookConfig config;
    private final Policy policy;
    private final Spool spool;
    private final BiConsumer<Message, QueueName> schedule;
    private final Clock clock;
    private final UUID nodeId;
    private final HookThread<LogRecord> thread;

    private LogHook(LogHookConfig config, Policy policy, Spool spool, BiConsumer<Message, QueueName> schedule,
                    Clock clock, UUID nodeId) {
        this.config = config;
        this.policy = policy;
        this.spool = spool;
        this.schedule = schedule;
        this.clock = clock;
        this.nodeId = nodeId;
        this.thread = new HookThread<>("log-hook " + config.name(), config.backPressure(), this::handle);
    }

    /**
     * Starts the hook's thread.
     *
     * @param schedule puts a spooled message in its scheduled queue
     * @param nodeId   the records' {@code nodeid}, as the log writers fill it in
     */
    public static LogHook start(LogHookConfig config, Policy policy, Spool spool,
                                BiConsumer<Message, QueueName> schedule, Clock clock, UUID nodeId) {
        LogHook hook = new LogHook(config, policy, spool, schedule, clock, nodeId);
        hook.thread.start();
        return hook;
    }

    @Override
    public LogHookConfig config() {
        return config;
    }

    /** Records waiting for the policy's decision. */
    public int backlog() {
        return thread.backlog();
    }

    @Override
    public void offer(LogRecord record) throws InterruptedException {
        thread.put(record);
    }

    private void handle(LogRecord record) {
        try {
            hook(record);
        } catch (RuntimeException e) {
            LOG.error("log hook {}: a {} record of {} was not hooked", config.name(), record.type(), record.id(), e);
        }
    }

    private void hook(LogRecord record) {
        if (!policy.hasHandler(EVENT)) {
            return; // nothing would keep it
        }
        Message m = message(record);
        Object keep;
        try {
            keep = policy.call(EVENT, new LuaMessage(m), config.name());
        } catch (PolicyException e) {
            LOG.warn("log hook {}: {} failed, the {} record of {} is dropped: {}", config.name(), EVENT, record.type(),
                    record.id(), e.getMessage());
            return;
        } catch (IllegalStateException closing) {
            return;
        }
        if (!Boolean.TRUE.equals(keep)) {
            return;
        }
        QueueName q = QueueName.of(m);
        if (q.isNull()) {
            return;
        }
        spool.store(List.of(m)).whenComplete((ok, error) -> {
            if (error != null) {
                LOG.error("log hook {}: cannot spool the message of a {} record of {}: {}", config.name(),
                        record.type(), record.id(), error.getMessage());
            } else {
                schedule.accept(m, q);
            }
        });
    }

    /** The message KumoMTA makes of a record. */
    Message message(LogRecord record) {
        LogRecord complete = withNodeId(record, nodeId);
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("log_record", table(complete));
        meta.put("reception_protocol", "LogRecord");
        meta.put(META_HOOK, config.name());
        return new Message(MessageId.next(clock.instant()), record.sender(), record.firstRecipient(), meta,
                complete.toJson().getBytes(StandardCharsets.UTF_8));
    }

    /** The record with {@code nodeid} filled in as the log writers fill it in, when it has none. */
    static LogRecord withNodeId(LogRecord record, UUID nodeId) {
        return record.nodeid() == null ? record.toBuilder().nodeid(nodeId).build() : record;
    }

    /** The record as the Lua table KumoMTA's events see: its JSON fields. */
    static LinkedHashMap<String, Object> table(LogRecord record) {
        try {
            return JSON.readValue(record.toJson(), MAP);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("a log record that is not JSON: " + e.getMessage(), e);
        }
    }

    /** Stops the thread; records still queued are not hooked. */
    @Override
    public void close() {
        int left = thread.close();
        if (left > 0) {
            LOG.warn("log hook {}: {} records were not hooked at shutdown", config.name(), left);
        }
    }
}
