package dev.sluice.mta.accounting;

import dev.sluice.policy.ConfigException;
import dev.sluice.policy.LuaModule;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/** {@code kumo.configure_accounting_db_path(path)}: where the daily accounting database lives (none by default). */
public final class AccountingLuaModule implements LuaModule {
    private final AtomicReference<Path> path = new AtomicReference<>();

    @Override
    public void install(Registrar registrar) {
        registrar.kumoFunction("configure_accounting_db_path", args -> {
            if (args.isEmpty() || !(args.getFirst() instanceof String s) || s.isBlank()) {
                throw new ConfigException("configure_accounting_db_path: expected a path string");
            }
            path.set(Path.of(s));
            return null;
        });
    }

    /** The configured path, if {@code init} called the function. */
    public Optional<Path> path() {
        return Optional.ofNullable(path.get());
    }
}
