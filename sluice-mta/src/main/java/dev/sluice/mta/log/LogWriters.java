package dev.sluice.mta.log;

import dev.sluice.mta.message.Message;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The writers of every {@code configure_local_logs} call: the MTA logs each record once here and each writer
 * applies its own meta/headers selection and per-record settings. With no configuration it logs nothing.
 * Each record is also offered to the {@code configure_log_hook} hooks ({@link #attach}), with each hook's own
 * meta/headers selection, and, with a copy of its message, to the {@code configure_log_disposition_hook} hooks
 * ({@link #attachDisposition}).
 */
public final class LogWriters implements AutoCloseable {
    private final List<LogWriter> writers;
    private final BounceClassifier classifier;
    private volatile List<RecordHook> hooks = List.of();
    private volatile java.util.function.Consumer<LogRecord> watcher = r -> { };
    private volatile List<DispositionHook> dispositionHooks = List.of();

    private LogWriters(List<LogWriter> writers, BounceClassifier classifier) {
        this.writers = List.copyOf(writers);
        this.classifier = classifier;
    }

    public static LogWriters start(List<LogConfig> configs, UUID nodeId) throws IOException {
        return start(configs, nodeId, BounceClassifier.NONE);
    }

    /** @param classifier sets {@code bounce_classification} of the record types KumoMTA classifies */
    public static LogWriters start(List<LogConfig> configs, UUID nodeId, BounceClassifier classifier) throws IOException {
        List<LogWriter> started = new ArrayList<>();
        try {
            for (LogConfig c : configs) {
                started.add(LogWriter.start(c, nodeId));
            }
        } catch (IOException | RuntimeException e) {
            for (LogWriter w : started) {
                try {
                    w.close();
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                }
            }
            throw e;
        }
        return new LogWriters(started, java.util.Objects.requireNonNull(classifier, "classifier"));
    }

    public List<LogWriter> writers() {
        return writers;
    }

    /**
     * Adds the {@code configure_log_hook} hooks: from now on every record logged is also offered to each hook
     * that takes its type. Called once the queues the hooks feed exist.
     */
    public void attach(List<RecordHook> added) {
        List<RecordHook> all = new ArrayList<>(hooks);
        all.addAll(added);
        hooks = List.copyOf(all);
    }

    /**
     * Adds the {@code configure_log_disposition_hook} hooks: from now on every record about a message is also offered
     * to each of them that takes its type.
     */
    public void attachDisposition(List<DispositionHook> added) {
        List<DispositionHook> all = new ArrayList<>(dispositionHooks);
        all.addAll(added);
        dispositionHooks = List.copyOf(all);
    }

    /**
     * Offers the record and a copy of the message to each disposition hook that takes its type; never the records
     * of a message a log hook made ({@code reception_protocol = "LogRecord"}), as KumoMTA.
     */
    private void dispose(LogRecord record, Message message) throws InterruptedException {
        if ("LogRecord".equals(record.receptionProtocol())) {
            return;
        }
        Message copy = null;
        for (DispositionHook h : dispositionHooks) {
            if (h.config().hooks(record.type())) {
                if (copy == null) { // the queue layer goes on changing the message (meta of a retry)
                    copy = new Message(message.id(), message.sender(), message.recipient(), message.metaMap(),
                            message.data());
                }
                h.offer(record, copy);
            }
        }
    }

    /** Offers the record to each hook that takes it, except the hook that made {@code message}. */
    private void hook(LogRecord record, Message message) throws InterruptedException {
        for (RecordHook h : hooks) {
            LogHookConfig c = h.config();
            if (c.hooks(record.type()) && !c.name().equals(message.meta(RecordHook.META_HOOK))) {
                List<MessageHeader> headers = c.headers().isEmpty() ? List.of() : MessageHeader.parse(message.data());
                h.offer(record.toBuilder().meta(LogWriter.select(c.meta(), message.metaMap()))
                        .headers(LogWriter.select(c.headers(), headers)).build());
            }
        }
    }

    /**
     * Hands every record logged from now on (as written, classified) to {@code watcher}, on the logging thread: it
     * must be quick and must not block (the console keeps the last records in memory).
     */
    public void watch(java.util.function.Consumer<LogRecord> watcher) {
        this.watcher = java.util.Objects.requireNonNull(watcher);
    }

    /** See {@link LogWriter#log(LogRecord, Message)}; also offered to the hooks and disposition hooks. */
    public void log(LogRecord record, Message message) throws InterruptedException {
        LogRecord classified = classifier.apply(record); // webhooks see bounce_classification too
        watcher.accept(classified);
        hook(classified, message);
        dispose(classified, message);

        if (writers.isEmpty()) {
            return;
        }
        List<MessageHeader> headers = null;
        for (LogWriter w : writers) {
            if (!w.config().logs(record.type())) {
                continue;
            }
            if (headers == null) { // parse the header section once, and only if some writer wants headers
                headers = writers.stream().anyMatch(x -> !x.config().headers().isEmpty())
                        ? MessageHeader.parse(message.data()) : List.of();
            }
            w.log(classified, message.metaMap(), headers);
        }
    }

    /**
     * A record without a message (e.g. a Rejection before DATA): logged as built, and offered to the hooks (not to
     * the disposition hooks, whose event takes a message).
     */
    public void log(LogRecord record) throws InterruptedException {
        LogRecord classified = classifier.apply(record);
        watcher.accept(classified);
        for (RecordHook h : hooks) {
            if (h.config().hooks(classified.type())) {
                h.offer(classified);
            }
        }
        for (LogWriter w : writers) {
            w.log(classified);
        }
    }

    public void flush() throws InterruptedException {
        for (LogWriter w : writers) {
            w.flush();
        }
    }

    /** Completes when every writer has what was logged before the call in its file ({@link LogWriter#written}). */
    public java.util.concurrent.CompletableFuture<Void> written() {
        if (writers.size() == 1) return writers.getFirst().written();
        return java.util.concurrent.CompletableFuture.allOf(writers.stream().map(LogWriter::written)
                .toArray(java.util.concurrent.CompletableFuture[]::new));
    }

    @Override
    public void close() throws InterruptedException {
        for (LogWriter w : writers) {
            w.close();
        }
    }
}
