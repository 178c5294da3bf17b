package dev.sluice.mta.app;

import dev.sluice.mta.log.LogRecord;
import dev.sluice.mta.log.RecordType;
import dev.sluice.testkit.SmtpSink;
import java.util.List;
import org.junit.jupiter.api.AfterEach;

/** The admin tests' MTA with a second sink ({@link AdminFixture}: other.test goes there). */
abstract class AdminTestBase extends MtaAppTestBase {
    SmtpSink other;

    @AfterEach
    void stopOther() {
        if (other != null) {
            other.close();
        }
    }

    /** The log records of {@code type} for recipients at {@code domain}. */
    List<LogRecord> records(RecordType type, String domain) {
        return MtaFixture.records(dir, type).stream().filter(r -> r.recipient().getFirst().endsWith("@" + domain))
                .toList();
    }
}
