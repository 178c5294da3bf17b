package dev.sluice.testkit;

import java.util.List;

/**
 * Sessions as a verbose smtp-sink ({@code -v}) logs them: "connect (...)" and "disconnect" lines in the
 * order its single-threaded event loop handled them, so the running difference is its open sessions. The
 * testkit's readiness probe is one connect without a greeting: {@link #greetings()} counts only SMTP sessions.
 */
public record SinkSessions(int connects, int disconnects, int maxConcurrent, int quits, int greetings) {

    public static SinkSessions of(String log) {
        int open = 0;
        int max = 0;
        int connects = 0;
        int disconnects = 0;
        int quits = 0;
        int greetings = 0;
        for (String line : log.lines().toList()) {
            if (line.startsWith("smtp-sink: connect (")) {
                connects++;
                open++;
                max = Math.max(max, open);
            } else if (line.equals("smtp-sink: disconnect")) {
                disconnects++;
                open--;
            } else if (line.startsWith("smtp-sink: EHLO ") || line.startsWith("smtp-sink: HELO ")) {
                greetings++;
            } else if (line.equals("smtp-sink: QUIT")) {
                quits++;
            }
        }
        return new SinkSessions(connects, disconnects, max, quits, greetings);
    }

    public static List<String> interesting(String log) {
        return log.lines().filter(l -> l.contains("connect") || l.contains("QUIT")).toList();
    }
}
