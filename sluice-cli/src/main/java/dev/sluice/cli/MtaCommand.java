package dev.sluice.cli;

import dev.sluice.mta.app.MtaApp;
import dev.sluice.mta.spool.SpoolDamagedException;
import dev.sluice.mta.spool.SpoolRecovery;
import dev.sluice.policy.PolicyException;
import dev.sluice.policy.PolicyOptions;
import org.slf4j.LoggerFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code sluice mta}: the mail transfer agent (listeners, spool, queues, delivery) until SIGTERM. */
@Command(
        name = "mta",
        header = "Run the MTA: accept mail over ESMTP and HTTP, spool it, and deliver it.",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Run the MTA: accept mail over ESMTP and HTTP, spool it, queue it and deliver it through the",
            "egress sources and proxies the policy defines. Its init event starts the listeners; each logs",
            "'esmtp listener on ADDR' / 'http listener on ADDR', then 'initialization complete'.",
            "Without --policy, a bundled policy runs: ESMTP on 127.0.0.1:2525, HTTP on 127.0.0.1:8000,",
            "RocksDB spool in DATA/spool (flush = true), logs in DATA/logs, delivery by MX; DATA is --data-dir",
            "(default ./data). --print-default-policy prints that policy, to copy and change.",
            "SIGTERM drains: no new mail, transactions in flight finish, everything else stays spooled; exit 0.",
            "A damaged spool (its write-ahead log lost acknowledged writes) stops the start with an ERROR line",
            "and exit code 3; --salvage-spool then keeps every readable message, copies the damaged files into",
            "salvage-NAME-TIME next to the spool, logs what was lost, and runs. Unreadable messages in the",
            "spool's tables are quarantined without stopping the start: `sluice spool quarantine` lists them.",
            ""
        })
final class MtaCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Option(names = "--policy", paramLabel = "FILE.lua", description = "The policy (default: the bundled one).")
    Path policyFile;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "Where the bundled policy keeps its spool and logs (default ./data); not with --policy.")
    Path dataDir;

    @Option(names = "--print-default-policy",
            description = "Print the bundled policy (with --data-dir's directory) and exit.")
    boolean printDefaultPolicy;

    @Option(names = "--drain-seconds", paramLabel = "N",
            description = "How long SIGTERM lets transactions and deliveries in flight finish (default 30).")
    long drainSeconds = 30;

    @Option(names = "--policy-timeout-seconds", paramLabel = "N",
            description = {"How long one policy call (an event handler, the file's top-level code) may run (default 5,",
                "decimals allowed). Past it the call fails with 'file:line: policy call exceeded N s': its message",
                "gets 451 or is deferred, other messages go on."})
    double policyTimeoutSeconds = PolicyOptions.DEFAULT_CALL_TIMEOUT.toSeconds();

    @Option(names = "--salvage-spool",
            description = "Open a damaged spool anyway: keep every readable message, move the damaged files aside.")
    boolean salvageSpool;

    /** The exit code for a damaged spool, distinct so that a supervisor can stop restarting (RestartPreventExitStatus). */
    static final int SPOOL_DAMAGED = 3;

    @Override
    public Integer call() throws Exception {
        long timeoutMillis = Math.round(policyTimeoutSeconds * 1000);
        if (!(timeoutMillis > 0)) {
            throw new ParameterException(spec.commandLine(),
                    "--policy-timeout-seconds must be positive, got " + policyTimeoutSeconds);
        }
        if (dataDir != null && policyFile != null) {
            throw new ParameterException(spec.commandLine(),
                    "--data-dir applies to the bundled policy; a --policy file names its own directories");
        }
        Path data = dataDir == null ? MtaApp.DEFAULT_DATA_DIR : dataDir;
        if (printDefaultPolicy) {
            spec.commandLine().getOut().print(MtaApp.defaultPolicyText(data));
            spec.commandLine().getOut().flush();
            return 0;
        }
        try {
            var options = (policyFile == null ? MtaApp.Options.defaultPolicy(data) : MtaApp.Options.of(policyFile))
                    .withPolicyTimeout(Duration.ofMillis(timeoutMillis));
            if (salvageSpool) {
                options = options.withSpoolRecovery(SpoolRecovery.SALVAGE);
            }
            return MtaApp.run(options, Duration.ofSeconds(Math.max(0, drainSeconds)));
        } catch (SpoolDamagedException e) {
            LoggerFactory.getLogger(MtaCommand.class).error("{}", e.getMessage());
            return SPOOL_DAMAGED;
        } catch (PolicyException e) {
            // a bad policy: `file:line: reason`, and the usage exit code so scripts can tell it from a crash
            spec.commandLine().getErr().println(e.getMessage());
            spec.commandLine().getErr().flush();
            return 2;
        }
    }
}
