package dev.sluice.mta.app;

import dev.sluice.net.Hostnames;

import dev.sluice.egress.connect.ConnectMetrics;
import dev.sluice.egress.smtp.DeliveryResult;
import dev.sluice.mta.accounting.AccountingDb;
import dev.sluice.mta.accounting.AccountingKind;
import dev.sluice.mta.accounting.AccountingRoutes;
import dev.sluice.mta.admin.AdminControl;
import dev.sluice.mta.admin.AdminRoutes;
import dev.sluice.mta.admin.AdminShare;
import dev.sluice.mta.admin.AdminStore;
import dev.sluice.egress.connect.Connector;
import dev.sluice.egress.dns.Resolvers;
import dev.sluice.egress.health.SourceHealth;
import dev.sluice.egress.route.DestinationPlanner;
import dev.sluice.egress.route.RouteHealth;
import dev.sluice.egress.smtp.ClientTlsContexts;
import dev.sluice.mta.ingress.Admission;
import dev.sluice.mta.ingress.http.HttpIngress;
import dev.sluice.mta.ingress.http.HttpListenerModule;
import dev.sluice.mta.ingress.smtp.EsmtpListenerConfig;
import dev.sluice.mta.ingress.smtp.EsmtpListenerModule;
import dev.sluice.mta.ingress.smtp.EsmtpServer;
import dev.sluice.mta.log.BounceClassifier;
import dev.sluice.mta.log.BounceClassifierModule;
import dev.sluice.mta.log.LogDispositionHookConfig;
import dev.sluice.mta.log.LogHookConfig;
import dev.sluice.mta.log.LogWriters;
import dev.sluice.mta.log.NodeId;
import dev.sluice.mta.loghook.LogDispositionHook;
import dev.sluice.mta.loghook.LogHook;
import dev.sluice.mta.policy.DeliveryStatusRewrite;
import dev.sluice.mta.policy.ThrottleInsertReadyQueue;
import dev.sluice.mta.policy.PolicyBasicAuth;
import dev.sluice.mta.policy.PolicyRelayPolicy;
import dev.sluice.mta.policy.PolicySmtpEvents;
import dev.sluice.mta.policy.ReceptionEvents;
import dev.sluice.mta.queue.ScheduledQueues;
import dev.sluice.mta.queue.SpoolEnumeration;
import dev.sluice.mta.spool.FreeSpaceMonitor;
import dev.sluice.mta.spool.Spool;
import dev.sluice.mta.spool.SpoolConfig;
import dev.sluice.mta.spool.SpoolDefinitions;
import dev.sluice.mta.spool.SpoolMetrics;
import dev.sluice.mta.spool.SpoolRecovery;
import dev.sluice.mta.spool.Spools;
import dev.sluice.net.StartFailure;
import dev.sluice.net.Transports;
import dev.sluice.net.http.HttpListenerConfig;
import dev.sluice.net.http.HttpServer;
import dev.sluice.net.http.MetricsRoutes;
import dev.sluice.policy.Policy;
import dev.sluice.policy.PolicyException;
import dev.sluice.policy.PolicyOptions;
import dev.sluice.policy.egress.EgressConfigResolver;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code sluice mta} process, assembled as one {@link Lifecycle}: the components start in one order and stop in
 * the reverse one ({@link #startAll} lists them: DNS, the policy with {@code pre_init} and {@code init}, its executor
 * and the delivery loops, the spool, the log hooks and writers, the scheduled queues and dispatch, the operator's
 * rules, scheduling, then the ESMTP and HTTP listeners, the background walk that schedules what the spool holds
 * ({@link SpoolEnumeration}) and the policy's background work ({@code kumo.spawn_task} tasks, the config monitor)),
 * then it logs {@code initialization complete}. A start that fails stops what had started, in reverse.
 * {@link #shutdown} drains in the order that keeps every acknowledged message safe. An orderly stop fires
 * {@code shutdown} (listeners closed, spool still open) and {@code shutdown_logging} (before the logs close), each
 * once, an error in them logged with its {@code file:line}.
 */
public final class MtaApp implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MtaApp.class);

    /**
     * @param policyFile   the policy
     * @param defaultSpool where the spool goes when the policy defines none (RocksDB, flush = true)
     * @param dispatch     builds dispatch; {@link DispatchFactory#SMTP} by default
     * @param tls          trust for STARTTLS to destinations
     * @param policyTimeout how long one policy call may run ({@link PolicyOptions#callTimeout()})
     * @param spoolRecovery whether a damaged spool stops the start ({@link SpoolRecovery#STRICT}, the default) or is
     *                     salvaged ({@code --salvage-spool})
     */
    public record Options(Path policyFile, Path defaultSpool, DispatchFactory dispatch, ClientTlsContexts tls,
                          Duration policyTimeout, SpoolRecovery spoolRecovery, Optional<Path> dataDir) {
        public static Options of(Path policyFile) {
            return new Options(policyFile, Path.of("data", "spool"), DispatchFactory.SMTP,
                    ClientTlsContexts.systemDefault(), PolicyOptions.DEFAULT_CALL_TIMEOUT, SpoolRecovery.STRICT,
                    Optional.empty());
        }

        /**
         * The bundled default policy ({@code default-policy.lua}: ESMTP on 127.0.0.1:2525, HTTP on 127.0.0.1:8000,
         * RocksDB spool in ./data/spool with flush = true, logs in ./data/logs, delivery by MX), written to a
         * temporary file so that Lua error messages can name it.
         */
        public static Options defaultPolicy() throws java.io.IOException {
            return defaultPolicy(DEFAULT_DATA_DIR);
        }

        /** The bundled default policy with its spool and logs under {@code dataDir} ({@link #defaultPolicyText}). */
        public static Options defaultPolicy(Path dataDir) throws java.io.IOException {
            Path file = java.nio.file.Files.createTempFile("sluice-default-policy-", ".lua");
            file.toFile().deleteOnExit();
            java.nio.file.Files.writeString(file, defaultPolicyText(dataDir));
            return new Options(file, dataDir.resolve("spool"), DispatchFactory.SMTP, ClientTlsContexts.systemDefault(),
                    PolicyOptions.DEFAULT_CALL_TIMEOUT, SpoolRecovery.STRICT, Optional.of(dataDir));
        }

        public Options withDispatch(DispatchFactory factory) {
            return new Options(policyFile, defaultSpool, factory, tls, policyTimeout, spoolRecovery, dataDir);
        }

        public Options withDefaultSpool(Path dir) {
            return new Options(policyFile, dir, dispatch, tls, policyTimeout, spoolRecovery, dataDir);
        }

        public Options withTls(ClientTlsContexts contexts) {
            return new Options(policyFile, defaultSpool, dispatch, contexts, policyTimeout, spoolRecovery, dataDir);
        }

        public Options withPolicyTimeout(Duration timeout) {
            return new Options(policyFile, defaultSpool, dispatch, tls, timeout, spoolRecovery, dataDir);
        }

        public Options withSpoolRecovery(SpoolRecovery recovery) {
            return new Options(policyFile, defaultSpool, dispatch, tls, policyTimeout, recovery, dataDir);
        }
    }

    /** Where the bundled policy keeps its spool and logs unless {@code --data-dir} says otherwise. */
    public static final Path DEFAULT_DATA_DIR = Path.of("./data");

    /**
     * The bundled default policy's text (the resource {@code dev/sluice/mta/app/default-policy.lua} in the
     * sluice-mta jar), with its {@code data_dir} set to {@code dataDir}: what {@code sluice mta
     * --print-default-policy} prints and what {@code sluice mta} without {@code --policy} runs.
     */
    public static String defaultPolicyText(Path dataDir) throws java.io.IOException {
        String text;
        try (var in = MtaApp.class.getResourceAsStream(DEFAULT_POLICY)) {
            if (in == null) {
                throw new java.io.FileNotFoundException("resource " + DEFAULT_POLICY + " is missing");
            }
            text = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        String line = "local data_dir = './data'\n";
        if (!text.contains(line)) {
            throw new IllegalStateException(DEFAULT_POLICY + " has no line " + line.strip());
        }
        String quoted = "'" + dataDir.toString().replace("\\", "\\\\").replace("'", "\\'") + "'";
        return text.replace(line, "local data_dir = " + quoted + "\n");
    }

    /** Fired once before {@code init}. */
    public static final String PRE_INIT = "pre_init";
    /** Sluice's: fired once at an orderly stop, once no listener accepts any more and before the spool closes. */
    public static final String SHUTDOWN = "shutdown";
    /** KumoMTA's: fired once at an orderly stop just before the log writers are flushed and closed. */
    public static final String SHUTDOWN_LOGGING = "shutdown_logging";

    /** The bundled policy used without --policy. */
    public static final String DEFAULT_POLICY = "default-policy.lua";

    private final Lifecycle lifecycle = new Lifecycle();
    private final List<EsmtpServer> esmtp = new ArrayList<>();
    private final List<HttpServer> http = new ArrayList<>();
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private Resolvers resolvers;
    private Policy policy;
    private Spool spool;
    private SpoolMetrics spoolMetrics;
    private LogWriters logs;
    private final List<LogHook> logHooks = new ArrayList<>();
    private final List<LogDispositionHook> dispositionHooks = new ArrayList<>();
    private ScheduledQueues queues;
    private AdminControl admin;
    private AdminShare adminShare;
    private UUID nodeId;
    private EgressConfigResolver egressConfig;
    private PolicyReload reload;
    private final dev.sluice.mta.admin.Console console = new dev.sluice.mta.admin.Console();
    private SpoolEnumeration enumeration;
    private AccountingDb accounting; // null unless the policy configured it
    private FreeSpaceMonitor freeSpace;
    private ExecutorService policyExecutor;
    private EventLoopGroup loops;
    private boolean stopped;
    private boolean started; // everything up: an orderly stop fires the shutdown events
    /** The drain's deadline (System.nanoTime), set when the stop begins; each stop step waits at most until then. */
    private long deadline;

    MtaApp() {} // started by start(options)

    /** Starts everything; on failure, stops what was started (in reverse) and rethrows. */
    public static MtaApp start(Options options) throws Exception {
        return start(options, new MtaApp());
    }

    /** {@link #start(Options)} on an app made here, so that a test can look at a failed start's lifecycle. */
    static MtaApp start(Options options, MtaApp app) throws Exception {
        try {
            app.startAll(options);
        } catch (Exception | Error e) {
            app.shutdown(Duration.ZERO);
            throw e;
        }
        return app;
    }

    private Duration left() {
        return Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
    }

    /**
     * The components in their start order; {@link #shutdown} stops them in reverse ({@link Lifecycle}). Two steps
     * only fire the stop events where the order puts them: {@code shutdown_logging} just before the logs close, and
     * {@code shutdown} once the listeners are closed and before anything behind them stops.
     */
    private void startAll(Options options) throws Exception {
        lifecycle.start("dns resolvers", () -> resolvers = new Resolvers(), () -> resolvers.close());
        var modules = new MtaModules(resolvers);
        var egress = modules.egress();
        var esmtpModule = modules.esmtp();
        var httpModule = modules.http();
        var logsModule = modules.logs();
        var spoolDefinitions = modules.spools();
        var accountingModule = modules.accounting();
        var bounceClassifier = modules.bounceClassifier();
        lifecycle.start("nats", Lifecycle.Step.NONE, modules.nats()::close);
        lifecycle.start("policy", () -> {
            policy = Policy.load(new PolicyOptions(options.policyFile(), 0, modules.list(), registry,
                    options.policyTimeout()));
            // KumoMTA: pre_init (every handler, for helper modules), then init; an error in either stops the start
            if (policy.hasHandler(PRE_INIT)) {
                policy.runOnce(PRE_INIT);
            }
            if (policy.hasHandler("init")) {
                policy.runOnce("init");
            }
        }, () -> policy.close(left())); // calls still running past the drain are abandoned, never waited for
        lifecycle.start("policy executor", () -> policyExecutor = Executors.newFixedThreadPool(
                        Math.max(2, policy.poolSize()), Thread.ofPlatform().name("mta-policy-", 0).daemon().factory()),
                () -> policyExecutor.shutdownNow());
        lifecycle.start("delivery loops",
                () -> loops = Transports.newEventLoopGroup(0, new DefaultThreadFactory("mta-delivery", true)),
                () -> loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly());
        SpoolConfig spoolConfig = spoolDefinitions.store().orElse(SpoolDefinitions.defaultStore(options.defaultSpool()));
        lifecycle.start("spool metrics", () -> spoolMetrics = new SpoolMetrics(registry), () -> spoolMetrics.close());
        SpoolLock[] lock = new SpoolLock[1];
        lifecycle.start("spool lock", () -> lock[0] = SpoolLock.acquire(spoolConfig.path()), () -> lock[0].close());
        lifecycle.start("spool", () -> openSpool(spoolConfig, options), () -> spool.close());
        // its writer thread (opening started none); the spool's close above stops it
        lifecycle.start("spool writer", () -> spool.start(), Lifecycle.Step.NONE);
        if (options.dataDir().isPresent()) { // the bundled policy: say which directory this is, in full
            Path dataDir = options.dataDir().get();
            LOG.info("data directory {} ({}) holds {} message(s); --data-dir chooses another", dataDir,
                    dataDir.toAbsolutePath().normalize(), spool.count());
        }
        if (accountingModule.path().isPresent()) {
            lifecycle.start("accounting", () -> {
                accounting = AccountingDb.open(accountingModule.path().get());
                LOG.info("accounting database at {}", accounting.path());
            }, () -> accounting.close());
        }
        lifecycle.start("free space monitor", () -> {
            freeSpace = new FreeSpaceMonitor(spoolDefinitions.monitored(options.defaultSpool()), spoolMetrics,
                    FreeSpaceMonitor.DEFAULT_INTERVAL);
            freeSpace.start();
        }, () -> freeSpace.close());
        Path nodeIdFile = besideSpool(spoolConfig, ".nodeid");
        // the hooks start before the log writers and stop after them: closing the writers flushes into the hooks,
        // which then spool what they keep (before the spool closes); they reach the queues only once records flow
        lifecycle.start("log hooks", () -> {
            for (LogHookConfig c : logsModule.hooks()) {
                logHooks.add(LogHook.start(c, policy, spool, (m, q) -> queues.insert(m, q), Clock.systemUTC(),
                        NodeId.loadOrCreate(nodeIdFile)));
                LOG.info("log hook {}: records go to should_enqueue_log_record", c.name());
            }
            for (LogDispositionHookConfig c : logsModule.dispositionHooks()) {
                dispositionHooks.add(LogDispositionHook.start(c, policy, NodeId.loadOrCreate(nodeIdFile)));
                LOG.info("log disposition hook {}: records go to {}", c.name(), c.event());
            }
        }, () -> {
            logHooks.forEach(h -> quietly(h::close));
            dispositionHooks.forEach(h -> quietly(h::close));
        });
        lifecycle.start("log writers", () -> {
            logs = LogWriters.start(logsModule.configs(), NodeId.loadOrCreate(nodeIdFile),
                    bounceClassifier.classifier().orElse(BounceClassifier.NONE));
            logs.attach(List.copyOf(logHooks));
            logs.attachDisposition(List.copyOf(dispositionHooks));
            logs.watch(console); // the web console's last records
        }, () -> logs.close()); // flushes
        lifecycle.start("shutdown_logging event", Lifecycle.Step.NONE, () -> fireIfStarted(SHUTDOWN_LOGGING));

        var config = new EgressConfigResolver(policy, egress.definitions());
        egressConfig = config;
        var health = new SourceHealth(registry);
        var routeHealth = new RouteHealth();
        var connector = new Connector(resolvers, health, routeHealth, new ConnectMetrics(registry));
        String hostname = Hostnames.local();
        var services = new MtaServices(policy, config, policyExecutor, loops, connector, health, routeHealth,
                resolvers, hostname, options.tls(), registry);
        // kumo.configure_redis_throttles: connect before the first delivery (closed with the policy)
        lifecycle.start("throttles", () -> policy.throttles().start(), Lifecycle.Step.NONE);
        // the queues and dispatch: built now, scheduling starts below once the operator's rules are attached; their
        // stop drains dispatch (deliveries in flight may finish within the grace) and finishes the outcomes
        lifecycle.start("queues and dispatch", () -> queues = new ScheduledQueues(config,
                new DestinationPlanner(resolvers), health, spool, logs,
                new dev.sluice.mta.queue.QueueMetrics(registry), policyExecutor,
                Clock.systemUTC(), listener -> options.dispatch().create(services,
                        DeliveryStatusRewrite.wrap(policy, policyExecutor, countingDeliveries(listener))),
                ThrottleInsertReadyQueue.of(policy), policy.throttles()), () -> {
            queues.stopScheduling();
            queues.dispatch().drain(left());
            quietly(queues::close);
            quietly(queues.dispatch()::close);
        });
        lifecycle.start("admin", () -> {
            admin = modules.admin();
            admin.metrics(registry);
            admin.attach(AdminStore.besideSpool(spoolConfig.path()), queues); // before anything is scheduled
            nodeId = NodeId.loadOrCreate(nodeIdFile);
            queues.xferSender(dev.sluice.mta.admin.XferRoutes.sender(spool, nodeId)); // the transfer queues' messages
        }, () -> admin.close()); // saves the bounce counts
        lifecycle.start("admin share", () -> adminShare = AdminShare.startIfShared(admin, policy.throttles(),
                besideSpool(spoolConfig, ".admin-cancelled.json")),
                () -> { // the fleet's entries, with Redis throttles
                    if (adminShare != null) adminShare.close();
                });
        lifecycle.start("tsa override share", () -> modules.configOverrides().startIfShared(policy.throttles(),
                policy.configEpoch(), besideSpool(spoolConfig, ".tsa-overrides.json")),
                () -> modules.configOverrides().close()); // the fleet's TSA SetConfig overrides, with Redis throttles
        lifecycle.start("scheduling", () -> queues.start(), () -> queues.stopScheduling());
        lifecycle.start("shutdown event", Lifecycle.Step.NONE, () -> fireIfStarted(SHUTDOWN));

        // the spool is walked in the background once the listeners accept (start-up is ready at once whatever it
        // holds); everything stored from now on is scheduled by ingress, so the walk takes only older ids
        enumeration = new SpoolEnumeration(spool, queues::resume, Clock.systemUTC().instant()).metrics(registry);
        // SIGHUP, bump-config-epoch and a watched file's change reload the policy (init-only settings need a restart)
        reload = new PolicyReload(options.policyFile(), policy, MtaCheck.wouldStart(modules), registry);
        policy.onConfigChange(reload::reload);
        lifecycle.start("listeners", () -> startListeners(modules, esmtpModule, httpModule, spoolConfig), this::stopListeners);
        lifecycle.start("spool enumeration", () -> enumeration.start(),
                () -> enumeration.stop(left().toMillis()));
        lifecycle.start("console", () -> console.start(), Lifecycle.Step.NONE); // closed with the listeners
        // kumo.spawn_task's tasks and the config monitor: they run until the policy closes
        lifecycle.start("policy background", () -> policy.startBackground(), Lifecycle.Step.NONE);
        started = true;
        LOG.info("initialization complete");
    }

    private void openSpool(SpoolConfig spoolConfig, Options options) throws Exception {
        try {
            spool = Spools.open(spoolConfig, spoolMetrics, options.spoolRecovery());
        } catch (java.io.IOException e) {
            if (String.valueOf(e.getMessage()).contains("lock file")) { // RocksDB's own lock: another program has it
                throw new StartFailure(spoolConfig.path() + " is locked by another process", e);
            }
            throw e;
        }
        LOG.info("spool {} ({}, flush = {}) at {} holds {} message(s)", spoolConfig.name(),
                spoolConfig.kind().luaName(), spoolConfig.flush(), spoolConfig.path(), spool.count());
    }

    /** Ingress (ESMTP, then HTTP with the status, metrics and admin routes): the one component that takes mail. */
    private void startListeners(MtaModules modules, EsmtpListenerModule esmtpModule, HttpListenerModule httpModule,
                                SpoolConfig spoolConfig) throws Exception {
        var injector = new PolicyInjector(new ReceptionEvents(policy), spool, (m, q) -> {
                    count(AccountingKind.RECEIVED); // called once per Reception record, after the spool write
                    queues.insert(m, q);
                }, logs, policyExecutor,
                Clock.systemUTC());
        modules.memory().metrics(registry);
        Admission admission = Admission.all(
                () -> freeSpace.belowThreshold() ? Optional.of(freeSpace.reason()) : Optional.empty(),
                spool::writeProblem, modules.memory());
        // unhealthy also while every Lua state is held by a long call (the reason names the events; trusted hosts only)
        Admission liveness = Admission.all(admission, policy::exhausted);
        var relay = new PolicyRelayPolicy(policy);
        var smtpEvents = new PolicySmtpEvents(policy);
        var serverTrace = new dev.sluice.net.trace.SmtpTrace(); // trace-smtp-server: every ESMTP listener's sessions
        for (EsmtpListenerConfig c : esmtpModule.listeners()) {
            // large messages arrive into nameless files in the spool's directory (its disk, not a tmpfs /tmp, and a
            // place the MTA may write to; neither spool kind looks at a file it did not name)
            var esmtpServices = new dev.sluice.mta.ingress.smtp.EsmtpServices(injector, relay, admission,
                    Clock.systemDefaultZone(), smtpEvents, spoolConfig.path().toAbsolutePath());
            var server = new EsmtpServer(c, esmtpServices, null).trace(serverTrace);
            esmtp.add(server);
            server.start(); // logs "esmtp listener on ADDR"
        }
        for (HttpListenerConfig c : httpModule.listeners()) {
            var server = new HttpServer(c).basicAuth(new PolicyBasicAuth(policy));
            // large bodies and messages go to nameless files beside the spool, as ESMTP's DATA does
            HttpIngress.install(server, injector, admission, liveness, spoolConfig.path().toAbsolutePath());
            MetricsRoutes.install(server, registry);
            QueueSummaryRoutes.install(server, queues, admin, enumeration);
            AdminRoutes.install(server, admin);
            dev.sluice.mta.admin.InspectRoutes.install(server, queues, spool, admin);
            dev.sluice.mta.admin.DiagnosticLogFilter.install(server);
            dev.sluice.mta.admin.RebindRoute.install(server, queues, policy);
            dev.sluice.mta.admin.ResolveEgressPathRoute.install(server, egressConfig, new DestinationPlanner(resolvers));
            dev.sluice.mta.admin.XferRoutes.install(server, queues, spool, nodeId, policy);
            dev.sluice.mta.admin.TraceRoutes.install(server, serverTrace, dev.sluice.egress.smtp.SmtpClient.TRACE);
            ConfigEpochRoutes.install(server, reload);
            dev.sluice.mta.admin.ConsoleRoutes.install(server, console); // the web console at /
            if (accounting != null) {
                AccountingRoutes.install(server, accounting);
            }
            http.add(server);
            server.start(); // logs "http listener on ADDR"
        }
    }

    /**
     * Stop accepting, let ESMTP transactions in flight finish within the grace (their messages get spooled and
     * acknowledged), then close the ESMTP and HTTP listeners (also those a failed start had opened).
     */
    private void stopListeners() {
        esmtp.forEach(EsmtpServer::stopAccepting);
        while (esmtp.stream().anyMatch(s -> s.transactionsInFlight() > 0) && System.nanoTime() < deadline) {
            sleep();
        }
        esmtp.forEach(s -> quietly(s::close));
        quietly(console); // its pages' websockets, before the HTTP listeners stop
        http.forEach(s -> quietly(s::stop));
    }


    /** Counts each Delivery outcome before passing it on to the scheduled queues. */
    private dev.sluice.mta.queue.Dispatch.Listener countingDeliveries(dev.sluice.mta.queue.Dispatch.Listener next) {
        return (ready, outcome) -> {
            if (outcome.result() instanceof DeliveryResult.Delivered) {
                count(AccountingKind.DELIVERED);
            }
            next.completed(ready, outcome);
        };
    }

    private void count(AccountingKind kind) {
        AccountingDb db = accounting;
        if (db == null) {
            return;
        }
        try {
            db.record(kind, Clock.systemUTC().instant());
        } catch (RuntimeException e) {
            LOG.warn("accounting: {}", e.getMessage()); // statistics never stop a message
        }
    }

    /** The accounting database, if the policy configured one. */
    public Optional<AccountingDb> accounting() {
        return Optional.ofNullable(accounting);
    }

    public List<InetSocketAddress> esmtpAddresses() {
        return esmtp.stream().map(EsmtpServer::address).toList();
    }

    public List<InetSocketAddress> httpAddresses() {
        return http.stream().map(HttpServer::boundAddress).toList();
    }

    public Spool spool() {
        return spool;
    }

    public ScheduledQueues queues() {
        return queues;
    }

    /** The web console's live side (its last log records, its open pages). */
    public dev.sluice.mta.admin.Console console() {
        return console;
    }

    /** Reloads the policy file (what SIGHUP does); a file that does not load is refused and the running one stays. */
    public PolicyReload.Outcome reload(String trigger) {
        return reload.reload(trigger);
    }

    /** The operator's bounces and suspensions. */
    public AdminControl admin() {
        return admin;
    }

    /** Start-up's background walk over the spool. */
    public SpoolEnumeration enumeration() {
        return enumeration;
    }

    public PrometheusRegistry registry() {
        return registry;
    }

    public Policy policy() {
        return policy;
    }

    /**
     * The SIGTERM drain, the components stopped in reverse: stop accepting, let ESMTP transactions in flight finish
     * (their messages get spooled and acknowledged), stop scheduling, let deliveries in flight finish, then flush the
     * logs and close the spool. Everything not delivered stays in the spool for the next start. Each wait is bounded
     * by {@code grace}.
     */
    public synchronized void shutdown(Duration grace) {
        if (stopped) {
            return;
        }
        stopped = true;
        deadline = System.nanoTime() + grace.toNanos();
        lifecycle.stopAll();
        if (started) {
            LOG.info("mta stopped");
        } else {
            LOG.debug("mta stopped before it started");
        }
    }

    /** What started and stopped, in order ("start spool", …, "stop spool"), for tests. */
    List<String> lifecycleHistory() {
        return lifecycle.history();
    }

    @Override
    public void close() {
        shutdown(Duration.ofSeconds(30));
    }

    /**
     * Runs a stop event's handlers (within the policy call timeout) when the MTA had started in full; an error is
     * logged and the stop goes on.
     */
    private void fireIfStarted(String event) {
        if (!started || !policy.hasHandler(event)) {
            return;
        }
        try {
            policy.runOnce(event);
        } catch (PolicyException | RuntimeException e) {
            LOG.error("{} event failed: {}", event, e.getMessage());
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A file of this node beside its spool: {@code <spool>SUFFIX}. */
    private static Path besideSpool(SpoolConfig spool, String suffix) {
        Path abs = spool.path().toAbsolutePath();
        return abs.resolveSibling(abs.getFileName() + suffix);
    }

    private static void quietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            LOG.warn("while stopping: {}", e.toString());
        }
    }

    /** Runs until SIGTERM or SIGINT, then drains; SIGHUP reloads the policy; returns the exit code. */
    public static int run(Options options, Duration grace) throws Exception {
        var terminated = new java.util.concurrent.CountDownLatch(1);
        for (String name : new String[] {"TERM", "INT"}) {
            sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> terminated.countDown());
        }
        var started = new java.util.concurrent.atomic.AtomicReference<MtaApp>();
        sun.misc.Signal.handle(new sun.misc.Signal("HUP"), signal -> {
            MtaApp running = started.get();
            if (running == null) {
                LOG.warn("SIGHUP before initialization completed: ignored");
                return;
            }
            Thread.ofVirtual().name("policy-reload").start(() -> running.reload("SIGHUP"));
        });
        MtaApp app = start(options);
        started.set(app);
        terminated.await();
        LOG.info("shutting down: no new messages; transactions and deliveries in flight may finish for up to {} s",
                grace.toSeconds());
        app.shutdown(grace);
        return 0;
    }
}
