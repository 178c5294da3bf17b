package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** {@code sluice queue} says when start-up's walk over the spool has not scheduled everything yet. */
class QueueCommandPrintTest {
    private static String print(String json) throws Exception {
        StringWriter out = new StringWriter();
        QueueCommand.print(new PrintWriter(out), new ObjectMapper().readTree(json));
        return out.toString();
    }

    @Test
    void anEnumerationInProgressIsShownAboveTheQueues() throws Exception {
        String text = print("""
                {"enumeration": {"done": false, "found": 1200, "total": 20000},
                 "scheduled": {"example.com": 1200}, "ready": {}}""");
        assertThat(text).startsWith("spool enumeration in progress: 1200 of about 20000 spooled message(s) scheduled so far")
                .contains("example.com");
    }

    @Test
    void aFinishedEnumerationIsNotMentioned() throws Exception {
        String text = print("""
                {"enumeration": {"done": true, "found": 20000, "total": 20000}, "scheduled": {}, "ready": {}}""");
        assertThat(text).doesNotContain("enumeration").startsWith("SCHEDULED QUEUE");
    }
}
