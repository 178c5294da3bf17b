package dev.sluice.testkit;

import java.util.List;

/**
 * Sessions as a verbose smtp-sink ({@code -v}) logs them: "connect (...)", "EHLO"/"HELO", "QUIT" and "disconnect"
 * lines in the order its single-threaded event loop handled them. A session counts as open from its greeting until
 * its QUIT (or its disconnect, when it never sent QUIT). Not from its connect: the testkit's readiness probe is a
 * connect without a greeting, and the sink may read the probe's end of file after the first real connect in the
 * same poll (CI saw two sessions "at once" under a limit of one that way). Not until its disconnect: a client waits
 * for the 221 before it closes and lets the next connection start, so the sink has always logged the QUIT by
 * then, while the old socket's end of file may be read after the next connect. {@link #greetings()} counts only
 * SMTP sessions.
 */
public record SinkSessions(int connects, int disconnects, int maxConcurrent, int quits, int greetings) {

    public static SinkSessions of(String log) {
        int open = 0; // greeted, neither QUIT nor disconnect seen
        int max = 0;
        int connects = 0;
        int disconnects = 0;
        int quits = 0;
        int greetings = 0;
        int quitButNotGone = 0; // QUIT seen, its disconnect not yet
        int notGreeted = 0; // connected, no greeting yet (the readiness probe, or a client still before EHLO)
        for (String line : log.lines().toList()) {
            if (line.startsWith("smtp-sink: connect (")) {
                connects++;
                notGreeted++;
            } else if (line.equals("smtp-sink: disconnect")) {
                disconnects++;
                if (quitButNotGone > 0) quitButNotGone--;
                else if (notGreeted > 0) notGreeted--;
                else if (open > 0) open--;
            } else if (line.startsWith("smtp-sink: EHLO ") || line.startsWith("smtp-sink: HELO ")) {
                greetings++;
                if (notGreeted > 0) notGreeted--;
                open++;
                max = Math.max(max, open);
            } else if (line.equals("smtp-sink: QUIT")) {
                quits++;
                quitButNotGone++;
                if (open > 0) open--;
            }
        }
        return new SinkSessions(connects, disconnects, max, quits, greetings);
    }

    public static List<String> interesting(String log) {
        return log.lines().filter(l -> l.contains("connect") || l.contains("QUIT")).toList();
    }
}
