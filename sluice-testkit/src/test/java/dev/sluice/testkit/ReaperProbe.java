package dev.sluice.testkit;

/** Run in a child JVM by ShutdownHookTest: starts a peer, prints its pid, and exits without closing it. */
public final class ReaperProbe {
    private ReaperProbe() {}

    public static void main(String[] args) {
        Microsocks socks = Microsocks.start();
        System.out.println("PID " + socks.pid());
        System.out.flush();
        System.exit(0); // no close(): the shutdown hook must stop it
    }
}
