package dev.sluice.cli;

import dev.sluice.policy.ConfigException;
import dev.sluice.tsa.TsaDaemon;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code sluice tsa}: the traffic shaping automation daemon, until SIGTERM. */
@Command(
        name = "tsa",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Run the traffic shaping automation daemon (KumoMTA's TSA protocol). MTAs publish their delivery",
            "log records to POST /publish_log_v1; the automation rules of the --shaping files turn matching",
            "responses into suspensions, bounces and config overrides, pushed to the MTAs subscribed to",
            "GET /subscribe_event_v1 (websocket) and served as a shaping overlay at /get_config_v1/shaping.toml.",
            "What is in force is kept under --state and survives a restart; it expires by itself.",
            "Logs 'http listener on ADDR', then 'initialization complete'. A shaping file that does not load",
            "stops the start with the file and the reason (exit code 2).",
            ""
        })
final class TsaCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Option(names = "--listen", paramLabel = "IP:PORT", description = "Where to listen (default 127.0.0.1:8008).")
    String listen = "127.0.0.1:8008";

    @Option(names = "--shaping", paramLabel = "FILE", required = true,
            description = "A shaping file whose automation rules apply (repeatable, merged in order; reloaded when changed).")
    List<Path> shaping;

    @Option(names = "--state", paramLabel = "DIR", description = "Where the daemon keeps its state (default ./data/tsa).")
    Path state = Path.of("data", "tsa");

    @Option(names = "--trusted-host", paramLabel = "CIDR",
            description = "Peers that may publish, subscribe and read the state (repeatable; default 127.0.0.1 and ::1).")
    List<String> trustedHosts;

    @Override
    public Integer call() throws Exception {
        TsaDaemon.Options options;
        try {
            options = new TsaDaemon.Options(HostPort.parse("--listen", listen).resolve(), trustedHosts, shaping, state);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        TsaDaemon daemon;
        try {
            daemon = TsaDaemon.start(options);
        } catch (ConfigException | IOException e) {
            spec.commandLine().getErr().println("sluice tsa: " + e.getMessage());
            spec.commandLine().getErr().flush();
            return 2;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            daemon.close();
            stopped.countDown();
        }, "tsa-shutdown"));
        LoggerFactory.getLogger(TsaCommand.class).info("initialization complete");
        stopped.await();
        return 0;
    }
}
