package dev.sluice.testkit;

import java.util.List;

/**
 * Sessions as a verbose smtp-sink ({@code -v}) logs them: "connect (...)", "QUIT" and "disconnect" lines in the
 * order its single-threaded event loop handled them. A session counts as open from its connect until its QUIT
 * (or its disconnect, when it never sent QUIT): a client waits for the 221 before it closes and lets the next
 * connection start, so the sink has always logged the QUIT by then, while the old socket's end of file may be
 * read after the next connect in the same poll. The testkit's readiness probe is one connect without a
 * greeting: {@link #greetings()} counts only SMTP sessions.
 */
public record SinkSessions(int connects, int disconnects, int maxConcurrent, int quits, int greetings) {

    public static SinkSessions of(String log) {
        int open = 0;
        int max = 0;
        int connects = 0;
        int disconnects = 0;
        int quits = 0;
        int greetings = 0;
        int quitButNotGone = 0;
        for (String line : log.lines().toList()) {
            if (line.startsWith("smtp-sink: connect (")) {
                connects++;
                open++;
                max = Math.max(max, open);
            } else if (line.equals("smtp-sink: disconnect")) {
                disconnects++;
                if (quitButNotGone > 0) quitButNotGone--;
                else open--;
            } else if (line.startsWith("smtp-sink: EHLO ") || line.startsWith("smtp-sink: HELO ")) {
                greetings++;
            } else if (line.equals("smtp-sink: QUIT")) {
                quits++;
                quitButNotGone++;
                open--;
            }
        }
        return new SinkSessions(connects, disconnects, max, quits, greetings);
    }

    public static List<String> interesting(String log) {
        return log.lines().filter(l -> l.contains("connect") || l.contains("QUIT")).toList();
    }
}
