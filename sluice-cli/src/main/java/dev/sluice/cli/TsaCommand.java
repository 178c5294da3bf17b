package dev.sluice.cli;

import dev.sluice.policy.ConfigException;
import dev.sluice.policy.PolicyException;
import dev.sluice.tsa.TsaDaemon;
import dev.sluice.tsa.TsaLuaConfig;
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
        header = "Run the traffic shaping automation daemon (KumoMTA's TSA protocol).",
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
            "With --policy tsa_init.lua (KumoMTA's daemon config), its tsa_init event calls",
            "tsa.start_http_listener{listen, trusted_hosts} (instead of --listen) and may call",
            "tsa.configure_tsa_db_path(dir) (instead of --state); a tsa_load_shaping_data handler returning",
            "kumo.shaping.load{...} replaces --shaping.",
            ""
        })
final class TsaCommand implements Callable<Integer> {
    static final String DEFAULT_LISTEN = "127.0.0.1:8008";

    @Spec CommandSpec spec;

    @Option(names = "--listen", paramLabel = "IP:PORT", description = "Where to listen (default 127.0.0.1:8008).")
    String listen;

    @Option(names = "--policy", paramLabel = "FILE.lua",
            description = "A tsa_init.lua file: kumo.on('tsa_init') starts the listener, tsa_load_shaping_data names the rules.")
    Path policy;

    @Option(names = "--shaping", paramLabel = "FILE",
            description = "A shaping file whose automation rules apply (repeatable, merged in order; reloaded when changed).")
    List<Path> shaping = List.of();

    @Option(names = "--state", paramLabel = "DIR", description = "Where the daemon keeps its state (default ./data/tsa).")
    Path state = Path.of("data", "tsa");

    @Option(names = "--trusted-host", paramLabel = "CIDR",
            description = "Peers that may publish, subscribe and read the state (repeatable; default 127.0.0.1 and ::1).")
    List<String> trustedHosts;

    @Override
    public Integer call() throws Exception {
        TsaDaemon daemon;
        if (policy != null) {
            if (listen != null || trustedHosts != null) {
                throw new ParameterException(spec.commandLine(),
                        "--listen and --trusted-host cannot be combined with --policy (use tsa.start_http_listener)");
            }
            try {
                daemon = TsaLuaConfig.start(policy, shaping, state);
            } catch (PolicyException | ConfigException | IllegalStateException | IOException e) {
                return startFailed(e);
            }
        } else {
            if (shaping.isEmpty()) {
                throw new ParameterException(spec.commandLine(), "give --shaping FILE (or --policy tsa_init.lua)");
            }
            TsaDaemon.Options options;
            try {
                options = new TsaDaemon.Options(HostPort.parse("--listen", listen == null ? DEFAULT_LISTEN : listen)
                        .resolve(), trustedHosts, shaping, state);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
            try {
                daemon = TsaDaemon.start(options);
            } catch (ConfigException | IOException e) {
                return startFailed(e);
            }
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

    private int startFailed(Exception e) {
        spec.commandLine().getErr().println("sluice tsa: " + e.getMessage());
        spec.commandLine().getErr().flush();
        return 2;
    }
}
