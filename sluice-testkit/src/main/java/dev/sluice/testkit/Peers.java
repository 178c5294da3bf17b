package dev.sluice.testkit;

import java.util.ArrayDeque;
import java.util.Deque;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit extension that closes registered peers and namespaces after each test, newest first, also when
 * the test failed. Use as {@code @RegisterExtension final Peers peers = new Peers();} and
 * {@code var sink = peers.add(SmtpSink.start());}.
 */
public final class Peers implements AfterEachCallback, AutoCloseable {
    private final Deque<AutoCloseable> open = new ArrayDeque<>();

    public synchronized <T extends AutoCloseable> T add(T resource) {
        open.push(resource);
        return resource;
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        close();
    }

    /** Closes everything (newest first); the first failure is rethrown after all were tried. */
    @Override
    public synchronized void close() throws Exception {
        Exception first = null;
        while (!open.isEmpty()) {
            try {
                open.pop().close();
            } catch (Exception e) {
                if (first == null) first = e; else first.addSuppressed(e);
            }
        }
        if (first != null) throw first;
    }

    /** PIDs the testkit started that are still alive, in this JVM (for leak checks). */
    public static java.util.List<Long> livePids() {
        return Reaper.livePids();
    }
}
