package dev.sluice.proxy.app;

import sun.misc.Signal;

/**
 * SIGTERM and SIGINT start a drain instead of the JVM's abrupt exit (which would also exit 143):
 * the process stops accepting, finishes what is running, and exits 0.
 */
final class Signals {
    private Signals() {}

    static void onTerminate(Runnable action) {
        for (String name : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(name), signal -> action.run());
        }
    }
}
