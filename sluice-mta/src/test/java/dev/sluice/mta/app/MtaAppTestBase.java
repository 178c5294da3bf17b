package dev.sluice.mta.app;

import dev.sluice.testkit.SmtpSink;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/** An in-JVM {@link MtaApp} delivering to an {@link SmtpSink}, both stopped after each test. */
abstract class MtaAppTestBase {
    static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    MtaApp app;
    SmtpSink sink;

    @AfterEach
    void stop() {
        if (app != null) {
            app.shutdown(Duration.ofSeconds(5));
        }
        if (sink != null) {
            sink.close();
        }
    }
}
