package dev.sluice.cli;

import dev.sluice.policy.PolicyException;
import dev.sluice.proxy.app.ProxyApp;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code sluice proxy}: the KumoProxy-compatible SOCKS5 server, with KumoProxy's flags. */
@Command(
        name = "proxy",
        header = "Run a SOCKS5 proxy server for the hosts that own sending IPs (a drop-in for KumoProxy).",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Run a SOCKS5 proxy server for the hosts that own sending IPs (a drop-in for KumoProxy).",
            "",
            "Either give a Lua config whose proxy_init event starts listeners:",
            "  sluice proxy --proxy-config proxy.lua",
            "or use the legacy flags, one SOCKS5 listener per --listen:",
            "  sluice proxy --listen 127.0.0.1:5000 [--listen [::1]:5000] [--no-splice] [--timeout-seconds 60]",
            "               [--allow-destination 127.0.0.0/8 ...]",
            "",
            "CONNECT to this host (loopback, 0.0.0.0/8 and ::, link-local, multicast, this host's own",
            "addresses) is refused with reply 0x02 unless --allow-destination (or allowed_destinations",
            "in the Lua listener table) lists it.",
            ""
        })
final class ProxyCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Option(
            names = "--proxy-config",
            paramLabel = "FILE.lua",
            description = "Lua config: kumo.on('proxy_init', ...) calls proxy.start_proxy_listener{...}.")
    Path proxyConfig;

    @Option(
            names = "--listen",
            paramLabel = "IP:PORT",
            description = "Legacy: start a SOCKS5 listener on this address (repeatable; port 0 = any free port).")
    List<String> listen = List.of();

    @Option(names = "--no-splice", description = "Legacy: relay in user space instead of splice(2).")
    boolean noSplice;

    @Option(
            names = "--timeout-seconds",
            paramLabel = "N",
            description = "Legacy: time allowed for each handshake step (default 60).")
    Long timeoutSeconds;

    @Option(
            names = "--allow-destination",
            paramLabel = "CIDR",
            description = "Legacy: let clients CONNECT to these addresses although they are this host's own "
                    + "(loopback, link-local, its interfaces, ...), which is refused by default (repeatable).")
    List<String> allowDestination = List.of();

    @Override
    public Integer call() throws Exception {
        boolean legacy = !listen.isEmpty() || noSplice || timeoutSeconds != null || !allowDestination.isEmpty();
        if (proxyConfig != null && legacy) {
            throw new ParameterException(
                    spec.commandLine(),
                    "--proxy-config cannot be combined with --listen, --no-splice, --timeout-seconds or --allow-destination"
                            + " (use allowed_destinations in the listener table)");
        }
        if (proxyConfig == null && listen.isEmpty()) {
            throw new ParameterException(
                    spec.commandLine(), "give --proxy-config FILE.lua or at least one --listen IP:PORT");
        }
        if (timeoutSeconds != null && timeoutSeconds <= 0) {
            throw new ParameterException(spec.commandLine(), "--timeout-seconds must be positive");
        }
        var options =
                proxyConfig != null
                        ? ProxyApp.Options.fromConfig(proxyConfig)
                        : ProxyApp.Options.legacy(
                                listen, !noSplice, Duration.ofSeconds(timeoutSeconds == null ? 60 : timeoutSeconds),
                                allowDestination);
        try {
            return ProxyApp.run(options);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        } catch (PolicyException e) {
            // A bad policy: `file:line: reason`, and the usage exit code so scripts can tell it from a crash.
            System.err.println(e.getMessage());
            return 2;
        }
    }
}
