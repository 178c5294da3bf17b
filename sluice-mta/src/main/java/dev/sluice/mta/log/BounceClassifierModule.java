package dev.sluice.mta.log;

import dev.sluice.policy.ConfigException;
import dev.sluice.policy.ConfigSchema;
import dev.sluice.policy.ConfigTable;
import dev.sluice.policy.LuaModule;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code kumo.configure_bounce_classifier{ files = {...} }}: loads the rules files at the call (so a bad file
 * fails {@code init} with the file and the reason) and keeps the classifier for the log writers. Once per
 * process, as in KumoMTA. {@code back_pressure}, {@code pool_size}, {@code cache_size} and
 * {@code uncategorized_cache_size} are accepted and not acted on: Sluice classifies on the thread that writes
 * the record, without a cache.
 */
public final class BounceClassifierModule implements LuaModule {
    static final ConfigSchema SCHEMA = ConfigSchema.of("configure_bounce_classifier", Set.of("files"),
            Set.of("back_pressure", "pool_size", "cache_size", "uncategorized_cache_size"));

    private final AtomicReference<BounceClassifier> classifier = new AtomicReference<>();

    @Override
    public void install(Registrar registrar) {
        registrar.kumoFunction("configure_bounce_classifier", args -> {
            ConfigTable table = ConfigTable.of(SCHEMA, args.isEmpty() ? null : args.getFirst());
            List<String> files = table.stringList("files", null);
            if (files == null || files.isEmpty()) {
                throw new ConfigException("configure_bounce_classifier: files must list at least one rules file");
            }
            BounceClassifier loaded;
            try {
                loaded = BounceClassifier.load(files.stream().map(Path::of).toList());
            } catch (IllegalArgumentException e) {
                throw new ConfigException("configure_bounce_classifier: " + e.getMessage());
            }
            if (!classifier.compareAndSet(null, loaded)) {
                throw new ConfigException("configure_bounce_classifier: the classifier is already configured");
            }
            return null;
        });
    }

    /** The classifier the policy configured, if it did. */
    public Optional<BounceClassifier> classifier() {
        return Optional.ofNullable(classifier.get());
    }
}
