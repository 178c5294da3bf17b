package dev.sluice.mta.ingress.smtp;

import dev.sluice.policy.ConfigTable;
import dev.sluice.policy.LuaModule;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Registers {@code kumo.start_esmtp_listener{...}}: each call validates its table and records the listener
 * config here; whoever runs {@code init} then starts an {@link EsmtpServer} for each of {@link #listeners()}.
 */
public final class EsmtpListenerModule implements LuaModule {
    private final List<EsmtpListenerConfig> listeners = new CopyOnWriteArrayList<>();

    @Override
    public void install(Registrar registrar) {
        registrar.kumoFunction("start_esmtp_listener", args -> {
            listeners.add(EsmtpListenerParser.parse(
                    ConfigTable.of(EsmtpListenerParser.SCHEMA, args.isEmpty() ? null : args.get(0))));
            return null;
        });
    }

    /** The listeners requested so far, in call order. */
    public List<EsmtpListenerConfig> listeners() {
        return List.copyOf(listeners);
    }
}
