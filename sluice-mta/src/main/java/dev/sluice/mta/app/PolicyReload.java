package dev.sluice.mta.app;

import dev.sluice.egress.dns.Resolvers;
import dev.sluice.policy.Policy;
import dev.sluice.policy.PolicyException;
import dev.sluice.policy.PolicyOptions;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reloading the running MTA's policy without a restart: SIGHUP, {@code POST /api/admin/bump-config-epoch}
 * ({@code sluice bump-config-epoch}) and the config monitor seeing a watched file change all come here.
 *
 * <p>First the file is tried on its own, as {@code sluice check} does ({@link MtaCheck}'s modules in one throwaway
 * state): {@code pre_init} and {@code init} run, and what they would start (listeners, spool, logs, hooks,
 * accounting) is compared with what runs; a difference needs a restart: it is reported, never applied. A file that
 * fails to load or whose {@code init} fails is refused with its {@code file:line: reason}; the running policy stays.
 * Then {@link Policy#reload} loads the running pool from the file; new work runs the new handlers and every cached
 * config is fetched again. One reload at a time.
 */
public final class PolicyReload {
    private static final Logger LOG = LoggerFactory.getLogger(PolicyReload.class);

    /** What a reload came to. */
    public sealed interface Outcome {
        /** The new file runs; {@code needRestart} lists the init-only settings it changes (not applied). */
        record Reloaded(long epoch, List<String> needRestart) implements Outcome {
            public Reloaded {
                needRestart = List.copyOf(needRestart);
            }
        }

        /** The file was refused ({@code file:line: reason}); the running policy stays. */
        record Refused(String reason) implements Outcome {}
    }

    private final Path file;
    private final Policy policy;
    private final Duration callTimeout;
    private final List<String> running;
    private final Counter reloads;
    private final Gauge failing;
    private final Gauge restartNeeded;

    /**
     * @param running what the running policy's {@code init} started ({@link MtaCheck#wouldStart}'s lines)
     */
    PolicyReload(Path file, Policy policy, List<String> running, PrometheusRegistry registry) {
        this.file = file;
        this.policy = policy;
        this.callTimeout = policy.callTimeout();
        this.running = List.copyOf(running);
        this.reloads = Counter.builder().name("policy_reload_count")
                .help("policy reloads (SIGHUP, bump-config-epoch, the config monitor) by result: reloaded or refused")
                .labelNames("result").register(registry);
        this.failing = Gauge.builder().name("policy_reload_failed")
                .help("1 while the last policy reload was refused (the file does not load; the running policy stays)")
                .register(registry);
        this.restartNeeded = Gauge.builder().name("policy_restart_needed")
                .help("1 while the policy file changes what only a restart applies (listeners, spool, logs)")
                .register(registry);
    }

    /** Reloads the policy; {@code trigger} says why (in the log). Never throws for a bad file: see the outcome. */
    public synchronized Outcome reload(String trigger) {
        Outcome outcome;
        try {
            List<String> wanted = tryInit();
            List<String> needRestart = new ArrayList<>();
            minus(wanted, running).forEach(w -> needRestart.add("added: " + w));
            minus(running, wanted).forEach(r -> needRestart.add("removed: " + r));
            long epoch = policy.reload(trigger);
            outcome = new Outcome.Reloaded(epoch, needRestart);
        } catch (PolicyException e) {
            outcome = new Outcome.Refused(e.getMessage());
        } catch (RuntimeException e) {
            outcome = new Outcome.Refused(file + ": " + e.getMessage());
        }
        switch (outcome) {
            case Outcome.Reloaded r -> {
                reloads.labelValues("reloaded").inc();
                failing.set(0);
                restartNeeded.set(r.needRestart().isEmpty() ? 0 : 1);
                LOG.info("policy {} reloaded ({}): new work runs it, config epoch {}", file, trigger, r.epoch());
                r.needRestart().forEach(line -> LOG.warn("policy {}: init now sets what only a restart applies, "
                        + "not applied: {}", file, line));
            }
            case Outcome.Refused r -> {
                reloads.labelValues("refused").inc();
                failing.set(1);
                LOG.error("policy reload refused ({}), the running policy stays: {}", trigger, r.reason());
            }
        }
        return outcome;
    }

    /** {@code a} without one occurrence of each line of {@code b} (two listeners on port 0 are two lines). */
    private static List<String> minus(List<String> a, List<String> b) {
        List<String> left = new ArrayList<>(a);
        b.forEach(left::remove);
        return left;
    }

    /** The file with fresh modules in one state: pre_init and init run, nothing starts; what it would start. */
    private List<String> tryInit() throws PolicyException {
        try (var resolvers = new Resolvers()) {
            var modules = new MtaModules(resolvers);
            try (Policy trial = Policy.load(new PolicyOptions(file, 1, modules.list(), null, callTimeout))) {
                for (String event : List.of(MtaApp.PRE_INIT, "init")) {
                    if (trial.hasHandler(event)) {
                        trial.runOnce(event);
                    }
                }
                return MtaCheck.wouldStart(modules);
            } finally {
                modules.nats().close();
            }
        }
    }
}
