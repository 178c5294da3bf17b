package dev.sluice.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SinkSessionsTest {

    @Test
    void theReadinessProbesEndOfFileReadAfterTheFirstSessionsConnectIsNotASecondSession() {
        String log = """
                smtp-sink: connect (127.0.0.1)
                smtp-sink: connect (127.0.0.1)
                smtp-sink: disconnect
                smtp-sink: EHLO sluice.test
                smtp-sink: QUIT
                smtp-sink: connect (127.0.0.1)
                smtp-sink: disconnect
                smtp-sink: EHLO sluice.test
                smtp-sink: QUIT
                smtp-sink: disconnect
                """;
        SinkSessions s = SinkSessions.of(log);
        assertThat(s.maxConcurrent()).isEqualTo(1);
        assertThat(s.greetings()).isEqualTo(2);
        assertThat(s.connects()).isEqualTo(3);
    }

    @Test
    void twoGreetedSessionsBeforeEitherQuitsAreTwoAtOnce() {
        String log = """
                smtp-sink: connect (127.0.0.1)
                smtp-sink: EHLO a.test
                smtp-sink: connect (127.0.0.1)
                smtp-sink: EHLO b.test
                smtp-sink: QUIT
                smtp-sink: disconnect
                smtp-sink: QUIT
                smtp-sink: disconnect
                """;
        assertThat(SinkSessions.of(log).maxConcurrent()).isEqualTo(2);
    }

    @Test
    void aSessionCutWithoutQuitEndsAtItsDisconnect() {
        String log = """
                smtp-sink: connect (127.0.0.1)
                smtp-sink: EHLO a.test
                smtp-sink: disconnect
                smtp-sink: connect (127.0.0.1)
                smtp-sink: EHLO b.test
                smtp-sink: QUIT
                smtp-sink: disconnect
                """;
        assertThat(SinkSessions.of(log).maxConcurrent()).isEqualTo(1);
    }
}
