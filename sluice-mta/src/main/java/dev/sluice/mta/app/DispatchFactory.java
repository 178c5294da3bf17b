package dev.sluice.mta.app;

import dev.sluice.mta.queue.Dispatch;

/**
 * Builds the MTA's {@link Dispatch} once the shared services exist; {@link MtaApp} passes
 * {@code listener -> factory.create(services, listener)} to the scheduled queues. The default is
 * {@link DirectDispatch}; the ready-queue dispatcher plugs in here.
 */
@FunctionalInterface
public interface DispatchFactory {
    Dispatch create(MtaServices services, Dispatch.Listener listener);

    /** One connection per message ({@link DirectDispatch}). */
    DispatchFactory DIRECT = (s, listener) -> new DirectDispatch(s.connector(), s.loops(), s.hostname(), s.tls(),
            listener);
}
