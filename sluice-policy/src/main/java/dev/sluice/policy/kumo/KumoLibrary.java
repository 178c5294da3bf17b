package dev.sluice.policy.kumo;

import dev.sluice.policy.ConfigEpoch;
import dev.sluice.policy.LuaModule;
import dev.sluice.policy.kumo.digest.DigestModule;
import dev.sluice.policy.kumo.dkim.DkimModule;
import dev.sluice.policy.kumo.domainmap.DomainMapModule;
import dev.sluice.policy.kumo.encode.EncodeModule;
import dev.sluice.policy.kumo.fs.FsModule;
import dev.sluice.policy.kumo.http.HttpModule;
import dev.sluice.policy.kumo.memoize.MemoizeModule;
import dev.sluice.policy.kumo.regex.RegexModule;
import dev.sluice.policy.kumo.runtime.ConfigMonitor;
import dev.sluice.policy.kumo.runtime.ConfigMonitorModule;
import dev.sluice.policy.kumo.runtime.MpscModule;
import dev.sluice.policy.kumo.runtime.TaskModule;
import dev.sluice.policy.kumo.serde.SerdeModule;
import dev.sluice.policy.kumo.string.StringModule;
import dev.sluice.policy.kumo.time.TimeModule;
import dev.sluice.policy.kumo.uuid.UuidModule;
import dev.sluice.policy.throttle.ThrottleModule;
import dev.sluice.policy.throttle.Throttles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The parts of KumoMTA's {@code kumo} API that need no MTA: data formats, regexes, strings, encodings, digests,
 * UUIDs, time, domain maps, memoization, DKIM signers, an HTTP client, tracebacks and validation failures, and the
 * runtime pieces (config epoch and its file monitor, tasks, mpsc queues). One library per policy: it holds what is
 * shared by the policy's Lua states (memoize caches, DKIM signer and key caches, mpsc queues, the epoch, the
 * validation failures recorded by {@code kumo.validation_failed()}).
 */
public final class KumoLibrary {
    private final ValidationModule validation = new ValidationModule();
    private final ConfigEpoch epoch = new ConfigEpoch();
    private final MemoizeModule memoize = new MemoizeModule(epoch);
    private final DkimModule dkim = new DkimModule();
    private final ConfigMonitor monitor;
    private final TaskModule tasks = new TaskModule();
    private final MpscModule mpsc = new MpscModule();
    private final TimeModule time = new TimeModule();
    private final Throttles throttles = new Throttles();

    /** @param policyFile the policy: the config monitor watches its directory by default */
    public KumoLibrary(Path policyFile) {
        this.monitor = new ConfigMonitor(epoch, ConfigMonitor.defaultGlobs(policyFile));
    }

    /** The library's modules followed by {@code extra} (so a caller's module may replace a function). */
    public List<LuaModule> modulesWith(List<LuaModule> extra) {
        List<LuaModule> modules = new ArrayList<>(List.of(
                new SerdeModule(),
                new RegexModule(),
                new StringModule(),
                new EncodeModule(),
                new DigestModule(),
                new UuidModule(),
                time,
                new FsModule(),
                new HttpModule(),
                new RequireModule(),
                new BundledModules(),
                new DomainMapModule(),
                memoize,
                dkim,
                new ConfigMonitorModule(monitor, epoch),
                tasks,
                mpsc,
                new ThrottleModule(throttles),
                validation));
        modules.addAll(extra);
        return modules;
    }

    /** The policy's config epoch. */
    public ConfigEpoch epoch() {
        return epoch;
    }

    /** The watcher of {@code kumo.set_config_monitor_globs}' files (started by the policy's owner). */
    public ConfigMonitor monitor() {
        return monitor;
    }

    /** {@code kumo.spawn_task}'s requests. */
    public TaskModule tasks() {
        return tasks;
    }

    /** {@code kumo.memoize} (its caches' counters). */
    public MemoizeModule memoize() {
        return memoize;
    }

    /** {@code kumo.mpsc} queues. */
    public MpscModule mpsc() {
        return mpsc;
    }

    /** {@code kumo.make_throttle}'s engine, shared with the dispatcher's rates and connection limits. */
    public Throttles throttles() {
        return throttles;
    }

    /** {@code kumo.time} (its timers' latency sink). */
    public TimeModule time() {
        return time;
    }

    /** What {@code kumo.validation_failed()} recorded, as {@code file:line} of each call, oldest first. */
    public List<String> validationFailures() {
        return validation.failures();
    }
}
