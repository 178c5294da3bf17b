package dev.sluice.testkit;

import java.util.regex.Pattern;

/** How a launcher knows a peer is ready to serve. */
public sealed interface Readiness permits Readiness.PortOpen, Readiness.LogLine {

    /** A TCP connect to the peer's host:port succeeds (probed inside its namespace if it has one). */
    record PortOpen() implements Readiness {}

    /** A line of the peer's output matches the pattern (find, not full match). */
    record LogLine(Pattern pattern) implements Readiness {}

    static Readiness portOpen() {
        return new PortOpen();
    }

    static Readiness logLine(String regex) {
        return new LogLine(Pattern.compile(regex, Pattern.MULTILINE));
    }
}
