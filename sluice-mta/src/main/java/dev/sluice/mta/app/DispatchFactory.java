package dev.sluice.mta.app;

import dev.sluice.mta.dispatch.LuaDispatch;
import dev.sluice.mta.dispatch.ProtocolDispatch;
import dev.sluice.mta.dispatch.SmtpDispatch;
import dev.sluice.mta.queue.Dispatch;

/**
 * Builds the MTA's {@link Dispatch} once the shared services exist; {@link MtaApp} passes
 * {@code listener -> factory.create(services, listener)} to the scheduled queues. The default is
 * {@link #SMTP}: ready queues per (source, site) with connection limits and reuse, and the policy's
 * {@code custom_lua} delivery for the queues that ask for it.
 */
@FunctionalInterface
public interface DispatchFactory {
    Dispatch create(MtaServices services, Dispatch.Listener listener);

    /**
     * Ready queues with connection_limit connections each, reused up to max_deliveries_per_connection; the messages
     * of {@code custom_lua} queues go to the policy ({@link LuaDispatch}) instead.
     */
    DispatchFactory SMTP = (s, listener) -> new ProtocolDispatch(
            new SmtpDispatch(s.connector(), s.loops(), s.hostname(), listener, s.registry(),
                    dev.sluice.mta.dispatch.DispatchSettings.DEFAULT, s.policy().throttles()),
            new LuaDispatch(s.policy(), listener, LuaDispatch.defaultConcurrency(s.policy())));
}
