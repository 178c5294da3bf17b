package dev.sluice.mta.log;

import dev.sluice.mta.message.Message;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The writers of every {@code configure_local_logs} call: the MTA logs each record once here and each writer
 * applies its own meta/headers selection and per-record settings. With no configuration it logs nothing.
 */
public final class LogWriters implements AutoCloseable {
    private final List<LogWriter> writers;
    private final BounceClassifier classifier;

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

    /** See {@link LogWriter#log(LogRecord, Message)}. */
    public void log(LogRecord record, Message message) throws InterruptedException {
        if (writers.isEmpty()) {
            return;
        }
        List<MessageHeader> headers = null;
        LogRecord classified = null;
        for (LogWriter w : writers) {
            if (!w.config().logs(record.type())) {
                continue;
            }
            if (classified == null) {
                classified = classifier.apply(record);
            }
            if (headers == null) { // parse the header section once, and only if some writer wants headers
                headers = writers.stream().anyMatch(x -> !x.config().headers().isEmpty())
                        ? MessageHeader.parse(message.data()) : List.of();
            }
            w.log(classified, message.metaMap(), headers);
        }
    }

    /** A record without a message (e.g. a Rejection before DATA): logged as built. */
    public void log(LogRecord record) throws InterruptedException {
        if (writers.isEmpty()) {
            return;
        }
        LogRecord classified = classifier.apply(record);
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
