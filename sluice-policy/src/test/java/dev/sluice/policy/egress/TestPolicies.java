package dev.sluice.policy.egress;

import dev.sluice.policy.LuaModule;
import dev.sluice.policy.Policy;
import dev.sluice.policy.PolicyException;
import dev.sluice.policy.PolicyOptions;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** Policies for egress tests: the egress module plus {@code test.count(name)}, a handler-call counter kept in Java. */
final class TestPolicies {
    final EgressPolicyModule egress = new EgressPolicyModule();
    final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    private final LuaModule counter = r -> r.function("test", "count", args -> {
        counts.computeIfAbsent(String.valueOf(args.getFirst()), k -> new AtomicInteger()).incrementAndGet();
        return null;
    });

    int count(String name) {
        AtomicInteger n = counts.get(name);
        return n == null ? 0 : n.get();
    }

    Policy load(Path file) throws PolicyException {
        return Policy.load(new PolicyOptions(file, 2, List.of(egress, counter), null));
    }

    Policy load(Path file, java.time.Duration callTimeout) throws PolicyException {
        return Policy.load(new PolicyOptions(file, 2, List.of(egress, counter), null, callTimeout));
    }

    static Path write(Path dir, String name, String... lines) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, String.join("\n", lines) + "\n");
        return file;
    }

    /** Copies a test resource (e.g. {@code seeds/seed000_init.lua}) into {@code dir} byte for byte. */
    static Path copyResource(String resource, Path dir) throws IOException {
        try (InputStream in = TestPolicies.class.getResourceAsStream("/" + resource)) {
            if (in == null) {
                throw new IOException("missing test resource " + resource);
            }
            Path target = dir.resolve(Path.of(resource).getFileName());
            Files.write(target, in.readAllBytes());
            return target;
        }
    }
}
