package dev.sluice.mta.message;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.ZoneId;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SchedulingTest {
    private static final ZoneId PHOENIX = ZoneId.of("America/Phoenix");
    private static final Map<String, Object> WORKING_HOURS = Map.of("dow", "Mon,Wednesday", "tz", "America/Phoenix",
            "start", "09:00:00", "end", "17:00:00");

    private static Instant phoenix(String local) {
        return ZonedDateTime.of(java.time.LocalDateTime.parse(local), PHOENIX).toInstant();
    }

    @Test
    void aDueTimeOutsideTheWindowMovesToTheNextPermittedStart() {
        Scheduling s = Scheduling.parse(WORKING_HOURS);
        // 2026-12-07 is a Monday
        assertThat(s.adjust(phoenix("2026-12-07T10:30:00"))).isEqualTo(phoenix("2026-12-07T10:30:00"));
        assertThat(s.adjust(phoenix("2026-12-07T08:00:00"))).isEqualTo(phoenix("2026-12-07T09:00:00"));
        assertThat(s.adjust(phoenix("2026-12-07T17:00:00"))).isEqualTo(phoenix("2026-12-09T09:00:00"));
        assertThat(s.adjust(phoenix("2026-12-08T12:00:00"))).isEqualTo(phoenix("2026-12-09T09:00:00"));
        assertThat(s.adjust(phoenix("2026-12-10T12:00:00"))).isEqualTo(phoenix("2026-12-14T09:00:00"));
    }

    @Test
    void firstAttemptComesBeforeTheWindow() {
        Map<String, Object> table = new LinkedHashMap<>(WORKING_HOURS);
        table.put("first_attempt", "2026-12-07T17:30:00-07:00");
        Scheduling s = Scheduling.parse(table);
        assertThat(s.adjust(phoenix("2026-12-07T10:00:00"))).isEqualTo(phoenix("2026-12-09T09:00:00"));
        Scheduling only = Scheduling.parse(Map.of("first_attempt", "2026-12-07 17:30:00Z"));
        assertThat(only.adjust(Instant.parse("2026-12-01T00:00:00Z"))).isEqualTo(Instant.parse("2026-12-07T17:30:00Z"));
        assertThat(only.adjust(Instant.parse("2026-12-08T00:00:00Z"))).isEqualTo(Instant.parse("2026-12-08T00:00:00Z"));
    }

    @Test
    void theTableFormRoundTripsThroughTheMeta() {
        Map<String, Object> table = new LinkedHashMap<>(WORKING_HOURS);
        table.put("expires", "2026-12-31T00:00:00Z");
        Scheduling s = Scheduling.parse(table);
        assertThat(s.toData()).containsEntry("dow", "Mon,Wed").containsEntry("tz", "America/Phoenix")
                .containsEntry("start", "09:00").containsEntry("end", "17:00").containsEntry("expires", "2026-12-31T00:00:00Z");
        assertThat(Scheduling.parse(s.toData())).isEqualTo(s);
    }

    @Test
    void badTablesAreRefusedByName() {
        assertThatThrownBy(() -> Scheduling.parse(Map.of("dow", "Mon", "tz", "UTC")))
                .hasMessageContaining("needs all of dow, tz, start and end; missing start, end");
        assertThatThrownBy(() -> Scheduling.parse(Map.of("dow", "Mon", "tz", "PST", "start", "09:00:00", "end", "10:00:00")))
                .hasMessageContaining("tz: 'PST' is not an IANA time zone name");
        assertThatThrownBy(() -> Scheduling.parse(Map.of("dow", "Mon,Funday", "tz", "UTC", "start", "09:00:00", "end", "10:00:00")))
                .hasMessageContaining("dow: 'Funday'");
        assertThatThrownBy(() -> Scheduling.parse(Map.of("first_attempt", "tomorrow")))
                .hasMessageContaining("first_attempt: 'tomorrow' is not an RFC 3339 date and time");
        assertThatThrownBy(() -> Scheduling.parse(Map.of("first_atempt", "2026-12-07T17:30:00Z")))
                .hasMessageContaining("unknown scheduling key 'first_atempt'");
    }

    /** A spool that counts the meta reads the scheduler makes. */
    private static final class CountingStore implements DataStore {
        final byte[] metaJson;
        int metaReads;

        CountingStore(Message m) {
            metaJson = m.metaJson();
        }

        @Override
        public byte[] readData(MessageId id) {
            return new byte[0];
        }

        @Override
        public byte[] readMeta(MessageId id) {
            metaReads++;
            return metaJson;
        }
    }

    @Test
    void aQueuedMessageWithoutConstraintsIsNotReadBackFromTheSpoolToLearnIt() {
        Message m = new Message(MessageId.next(Instant.now()), "a@example.test", "b@example.test",
                Map.of("tenant", "t1"), "Subject: x\r\n\r\nbody\r\n".getBytes());
        CountingStore store = new CountingStore(m);
        m.metaStored(m.metaVersion());
        m.shrink(store);
        assertThat(m.metaOnlyInSpool()).isTrue();
        for (int i = 0; i < 3; i++) {
            assertThat(Scheduling.of(m)).isEmpty();
        }
        assertThat(store.metaReads).as("meta reads to learn there are no constraints").isZero();
        assertThat(m.meta("tenant")).isEqualTo("t1"); // the meta itself is still read back when asked for
        assertThat(store.metaReads).isEqualTo(1);
    }

    @Test
    void aQueuedMessageWithConstraintsStillHasThemAfterItsMetaLeftTheHeap() {
        Message m = new Message(MessageId.next(Instant.now()), "a@example.test", "b@example.test", Map.of(),
                "Subject: x\r\n\r\nbody\r\n".getBytes());
        Scheduling.store(m, Scheduling.parse(WORKING_HOURS));
        CountingStore store = new CountingStore(m);
        m.metaStored(m.metaVersion());
        m.shrink(store);
        assertThat(Scheduling.of(m)).hasValueSatisfying(s ->
                assertThat(s.adjust(phoenix("2026-12-07T08:00:00"))).isEqualTo(phoenix("2026-12-07T09:00:00")));
        assertThat(store.metaReads).isEqualTo(1);
    }
}
