package dev.sluice.mta.app;

import dev.sluice.egress.dns.MxRecord;
import dev.sluice.egress.dns.Resolvers;
import dev.sluice.egress.route.DestinationPlanner;
import dev.sluice.egress.shaping.Shaping;
import dev.sluice.mta.ingress.smtp.EsmtpListenerConfig;
import dev.sluice.mta.log.LogConfig;
import dev.sluice.mta.log.LogDispositionHookConfig;
import dev.sluice.mta.policy.ListenerDomain;
import dev.sluice.mta.policy.PolicyRelayPolicy;
import dev.sluice.mta.spool.SpoolConfig;
import dev.sluice.net.IpLiterals;
import dev.sluice.net.http.HttpListenerConfig;
import dev.sluice.policy.IgnoredKeys;
import dev.sluice.policy.LuaModule;
import dev.sluice.policy.Policy;
import dev.sluice.policy.PolicyAudit;
import dev.sluice.policy.PolicyException;
import dev.sluice.policy.PolicyOptions;
import dev.sluice.policy.egress.EgressConfigResolver;
import dev.sluice.policy.egress.EgressInventory;
import dev.sluice.policy.egress.EgressPool;
import dev.sluice.policy.egress.QueueConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What {@code sluice check} runs: the policy with every module {@code sluice mta} installs ({@link MtaModules}),
 * {@code pre_init} and {@code init} (the modules record what would be started; no socket is opened, no file
 * written), then the events the configuration depends on ({@code get_queue_config} for each domain,
 * {@code get_egress_pool} and {@code get_egress_source} for what it names, {@code get_egress_path_config} from
 * each of those sources to the domain, {@code get_listener_domain} for the domain on the first ESMTP listener),
 * then every {@code validate_config} handler. While it runs a {@link PolicyAudit} watches the policy.
 */
public final class MtaCheck {
    /** Probed when no domain is given, so that the queue, pool, source and path handlers run at least once. */
    public static final String PROBE_DOMAIN = "example.com";

    /**
     * The outcome.
     *
     * @param wouldStart what {@code sluice mta} would start, one line each ({@code esmtp listener 0.0.0.0:25})
     * @param inventory  the egress sources and pools found
     * @param errors     {@code file:line: reason} of each failure: a handler that failed, a bad value, a
     *                   {@code kumo.validation_failed()} call
     * @param notDone    {@code file:line: reason} of each thing the policy asks for that Sluice does not do: a handler
     *                   for an event Sluice never fires, a {@code kumo} name Sluice lacks, a key it does not act on
     */
    public record Report(List<String> wouldStart, EgressInventory inventory, List<String> errors, List<String> notDone,
                         List<PathReport> paths) {
        public Report {
            wouldStart = List.copyOf(wouldStart);
            errors = List.copyOf(errors);
            notDone = List.copyOf(notDone);
            paths = List.copyOf(paths);
        }

        /** 0 when everything the policy asks for is done, 1 when something is not, 2 when something failed. */
        public int exitCode() {
            return !errors.isEmpty() ? 2 : !notDone.isEmpty() ? 1 : 0;
        }
    }

    /**
     * The egress path config a domain gets from one source, as the shaping data the policy loaded gives it
     * ({@code kumo.shaping.load}, normally through {@code policy-extras.shaping}), each option with the file and
     * block its value came from.
     *
     * @param site    the MX site the domain's mail goes to (as the MTA names it), or the mx_list
     * @param files   the shaping files, in the order they were merged
     * @param options the merged options
     */
    public record PathReport(String domain, String source, String site, List<String> files,
                             List<Shaping.Traced> options) {
        public PathReport {
            files = List.copyOf(files);
            options = List.copyOf(options);
        }
    }

    private MtaCheck() {}

    /**
     * Checks {@code policyFile}.
     *
     * @param domains recipient domains whose events to run ({@link #PROBE_DOMAIN} when empty)
     * @param sources egress sources to resolve by name, in addition to those the domains' pools name
     * @throws PolicyException the file does not load ({@code file:line: reason})
     */
    public static Report run(Path policyFile, List<String> domains, List<String> sources) throws PolicyException {
        long mark = IgnoredKeys.mark();
        var audit = new PolicyAudit();
        try (var resolvers = new Resolvers()) {
            var modules = new MtaModules(resolvers);
            List<LuaModule> installed = new ArrayList<>(modules.list());
            installed.add(audit); // last: it watches what the others defined
            try (Policy policy = Policy.load(new PolicyOptions(policyFile, 1, installed, null))) {
                var errors = new LinkedHashSet<String>();
                // everything runs even after a failed init: each failure is reported, so one run shows them all
                runOnce(policy, "pre_init", errors);
                runOnce(policy, "init", errors);
                var resolver = new EgressConfigResolver(policy, modules.egress().definitions());
                List<String> probed = domains.isEmpty() ? List.of(PROBE_DOMAIN) : domains;
                EgressInventory inventory = EgressInventory.collect(resolver, modules.egress().definitions(), probed,
                        sources);
                errors.addAll(inventory.problems());
                List<PathReport> paths = paths(resolver, resolvers, modules, probed, errors);
                listenerDomains(policy, modules, probed, errors);
                call(policy, "validate_config", errors);
                policy.validationFailures().forEach(where ->
                        errors.add(where + ": kumo.validation_failed(): the policy found its configuration invalid"));
                var missing = new LinkedHashSet<>(audit.missingNames()); // where it ran, then where it is written
                try {
                    missing.addAll(audit.missingReferences(policy));
                } catch (PolicyException e) {
                    errors.add(failure(e));
                }
                return new Report(wouldStart(modules), inventory, List.copyOf(errors),
                        notDone(audit, modules, List.copyOf(missing), mark), domains.isEmpty() ? List.of() : paths);
            }
        }
    }

    private static void runOnce(Policy policy, String event, Set<String> errors) {
        if (!policy.hasHandler(event)) {
            return;
        }
        try {
            policy.runOnce(event);
        } catch (PolicyException e) {
            errors.add(failure(e));
        }
    }

    private static void call(Policy policy, String event, Set<String> errors, Object... args) {
        if (!policy.hasHandler(event)) {
            return;
        }
        try {
            policy.call(event, args);
        } catch (PolicyException e) {
            errors.add(failure(e));
        }
    }

    /**
     * {@code get_egress_path_config(domain, source, site)} from each source of the domain's pool, the site named as
     * the MTA names it (from the domain's MX, or its mx_list); with the shaping data the policy loaded, what each
     * path gets and from where.
     */
    private static List<PathReport> paths(EgressConfigResolver resolver, Resolvers dns, MtaModules modules,
                                          List<String> domains, Set<String> errors) {
        List<PathReport> reports = new ArrayList<>();
        for (String domain : domains) {
            try {
                QueueConfig queue = resolver.queueConfig(domain, null, null, null);
                String site = queue.mxList().isEmpty() ? mxSite(dns, domain)
                        : String.join(",", queue.mxList().stream().map(Object::toString).toList());
                for (EgressPool.Entry entry : resolver.pool(queue.poolName()).entries()) {
                    resolver.path(domain, entry.name(), site);
                    modules.shaping().lastLoaded().ifPresent(loaded -> reports.add(new PathReport(domain, entry.name(),
                            site, loaded.files(), loaded.shaping().explain(domain, entry.name(), site))));
                }
            } catch (PolicyException e) {
                errors.add(failure(e)); // a queue or pool failure is already among the inventory's problems
            }
        }
        return reports;
    }

    /** The domain's MX site name, or the domain itself when it has no MX answer (within 5 s). */
    private static String mxSite(Resolvers dns, String domain) {
        try {
            List<String> hosts = dns.get().mx(domain).get(5, java.util.concurrent.TimeUnit.SECONDS).stream()
                    .map(MxRecord::exchange).toList();
            return hosts.isEmpty() || hosts.contains("") ? domain : DestinationPlanner.mxSiteName(hosts);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return domain;
        } catch (Exception e) {
            return domain;
        }
    }

    private static void listenerDomains(Policy policy, MtaModules modules, List<String> domains, Set<String> errors) {
        if (!policy.hasHandler(PolicyRelayPolicy.EVENT)) {
            return;
        }
        String listener = modules.esmtp().listeners().stream().findFirst()
                .map(c -> IpLiterals.format(c.listen())).orElse("127.0.0.1:25");
        for (String domain : domains) {
            try {
                ListenerDomain.parse(policy.call(PolicyRelayPolicy.EVENT, domain, listener, Map.of()));
            } catch (PolicyException e) {
                errors.add(failure(e));
            } catch (RuntimeException e) {
                errors.add(policy.file() + ": " + PolicyRelayPolicy.EVENT + "(" + domain + "): " + e.getMessage());
            }
        }
    }

    /** The failure's {@code file:line: reason}, and the event that failed. */
    private static String failure(PolicyException e) {
        return e.event() == null || e.getMessage().contains(e.event()) ? e.getMessage()
                : e.getMessage() + " (in " + e.event() + ")";
    }

    /** What {@code sluice mta} starts for what the modules recorded, one line each (also what a reload compares). */
    static List<String> wouldStart(MtaModules modules) {
        var lines = new ArrayList<String>();
        for (EsmtpListenerConfig c : modules.esmtp().listeners()) {
            lines.add("esmtp listener " + IpLiterals.format(c.listen()));
        }
        for (HttpListenerConfig c : modules.http().listeners()) {
            lines.add("http listener " + IpLiterals.format(c.listen()));
        }
        for (SpoolConfig s : modules.spools().all()) {
            lines.add("spool " + s.name() + " (" + s.kind().luaName() + ", flush = " + s.flush() + ") at " + s.path());
        }
        for (LogConfig l : modules.logs().configs()) {
            lines.add("logs in " + l.logDir());
        }
        for (LogDispositionHookConfig h : modules.logs().dispositionHooks()) {
            lines.add("log disposition hook " + h.name() + " (event " + h.event() + ")");
        }
        Optional<Path> accounting = modules.accounting().path();
        accounting.ifPresent(p -> lines.add("accounting database at " + p));
        return lines;
    }

    private static List<String> notDone(PolicyAudit audit, MtaModules modules, List<PolicyAudit.Site> missing,
                                        long mark) {
        var notDone = new ArrayList<String>();
        for (PolicyAudit.Site s : audit.unfiredHandlers()) {
            notDone.add(place(s.where()) + "kumo.on('" + s.name() + "'): Sluice never fires the event '" + s.name()
                    + "', so this handler never runs");
        }
        Set<String> disposition = modules.logs().dispositionHooks().stream()
                .map(LogDispositionHookConfig::event).collect(java.util.stream.Collectors.toSet());
        for (PolicyAudit.Site s : audit.handlers()) {
            if (s.name().startsWith(LogDispositionHookConfig.EVENT_PREFIX) && !disposition.contains(s.name())) {
                notDone.add(place(s.where()) + "kumo.on('" + s.name() + "'): no kumo.configure_log_disposition_hook{name = '"
                        + s.name().substring(LogDispositionHookConfig.EVENT_PREFIX.length())
                        + "'} was called, so this handler never runs");
            }
        }
        for (PolicyAudit.Site s : missing.stream().sorted(PolicyAudit.Site.BY_PLACE).distinct().toList()) {
            notDone.add(place(s.where()) + s.name() + " is not implemented by Sluice");
        }
        IgnoredKeys.since(mark).forEach(u -> notDone.add(u.toString()));
        return notDone;
    }

    private static String place(String where) {
        return where.isEmpty() ? "" : where + ": ";
    }
}
