package dev.sluice.policy.kumo;

import dev.sluice.policy.LuaModule;
import dev.sluice.policy.kumo.digest.DigestModule;
import dev.sluice.policy.kumo.domainmap.DomainMapModule;
import dev.sluice.policy.kumo.encode.EncodeModule;
import dev.sluice.policy.kumo.fs.FsModule;
import dev.sluice.policy.kumo.memoize.MemoizeModule;
import dev.sluice.policy.kumo.regex.RegexModule;
import dev.sluice.policy.kumo.serde.SerdeModule;
import dev.sluice.policy.kumo.string.StringModule;
import dev.sluice.policy.kumo.time.TimeModule;
import dev.sluice.policy.kumo.uuid.UuidModule;
import java.util.ArrayList;
import java.util.List;

/**
 * The pure parts of KumoMTA's {@code kumo} API that need no MTA: data formats, regexes, strings,
 * encodings, digests, UUIDs, domain maps, memoization, tracebacks and validation failures. One
 * library per policy: it holds what is shared by the policy's Lua states (memoize caches, the
 * validation failures recorded by {@code kumo.validation_failed()}).
 */
public final class KumoLibrary {
    private final ValidationModule validation = new ValidationModule();
    private final MemoizeModule memoize = new MemoizeModule();

    /** The library's modules followed by {@code extra} (so a caller's module may replace a function). */
    public List<LuaModule> modulesWith(List<LuaModule> extra) {
        List<LuaModule> modules = new ArrayList<>(List.of(
                new SerdeModule(),
                new RegexModule(),
                new StringModule(),
                new EncodeModule(),
                new DigestModule(),
                new UuidModule(),
                new TimeModule(),
                new FsModule(),
                new RequireModule(),
                new BundledModules(),
                new DomainMapModule(),
                memoize,
                validation));
        modules.addAll(extra);
        return modules;
    }

    /** Bumps the config epoch: empties the memoize caches made with {@code invalidate_with_epoch = true}. */
    public void bumpConfigEpoch() {
        memoize.bumpConfigEpoch();
    }

    /** What {@code kumo.validation_failed()} recorded, as {@code file:line} of each call, oldest first. */
    public List<String> validationFailures() {
        return validation.failures();
    }
}
