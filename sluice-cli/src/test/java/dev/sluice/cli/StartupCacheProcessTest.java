package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.testkit.Peers;
import dev.sluice.testkit.SluiceProcess;
import dev.sluice.testkit.Tool;
import dev.sluice.testkit.ToolResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code bin/sluice} does before {@code sluice mta}'s listeners accept, seen in the JVM's own class-loading log
 * (no time limit: each assertion is about which work the start did at all). The classes come from this build's
 * start-up cache (a JDK 25 AOT cache, made once by a training run: {@code SLUICE_CDS=wait} makes it here if the suite
 * has not yet); {@code SLUICE_CDS=0} goes without, as do the other commands. Picocli builds the model of the invoked subcommand only, and
 * logback is configured without its XML configurator.
 */
class StartupCacheProcessTest {
    @RegisterExtension
    final Peers peers = new Peers();

    @TempDir
    Path dir;

    private static ToolResult sluice(Map<String, String> env, String... args) {
        List<String> cmd = new ArrayList<>(List.of(SluiceProcess.home().resolve("bin/sluice").toString()));
        cmd.addAll(List.of(args));
        var all = new java.util.HashMap<>(env);
        all.put("SLUICE_NO_BUILD", "1");
        // a training run on a loaded machine: generous, it is waited for only when this build has no cache yet
        return Tool.run(null, cmd, all, Duration.ofMinutes(10));
    }

    /** Starts {@code sluice mta} on free ports with {@code env}, until initialization completes; its class log. */
    private List<String> mtaClassLog(String name, Map<String, String> env) throws IOException {
        Path log = dir.resolve(name + "-classes.log");
        Path policy = dir.resolve(name + ".lua");
        Files.writeString(policy, "local kumo = require 'kumo'\n"
                + "kumo.on('init', function()\n"
                + "  kumo.define_spool { name = 'data', path = '" + dir.resolve(name + "-spool") + "', kind = 'RocksDB' }\n"
                + "  kumo.configure_local_logs { log_dir = '" + dir.resolve(name + "-logs") + "' }\n"
                + "  kumo.start_esmtp_listener { listen = '127.0.0.1:0' }\n"
                + "  kumo.start_http_listener { listen = '127.0.0.1:0' }\n"
                + "end)\n");
        var builder = SluiceProcess.builder().args("mta", "--policy", policy.toString()).workDir(dir)
                .env("JAVA_OPTS", "-Xlog:class+load:file=" + log).startTimeout(Duration.ofMinutes(3));
        env.forEach(builder::env);
        SluiceProcess mta = peers.add(builder.start());
        assertThat(mta.initialized()).isTrue();
        return Files.readAllLines(log);
    }

    private static String source(List<String> classLog, String className) {
        return classLog.stream().filter(l -> l.contains("] " + className + " source: ")).findFirst()
                .map(l -> l.substring(l.indexOf(" source: ") + 9)).orElse("(not loaded)");
    }

    @Test
    void theMtaStartsFromTheCacheOfThisBuildAndBuildsOnlyWhatItRuns() throws IOException {
        // makes the cache if this build has none yet
        ToolResult made = sluice(Map.of("SLUICE_CDS", "wait"), "mta", "--print-default-policy");
        assertThat(made.exitCode()).as(made.describe()).isZero();
        assertThat(made.stdout()).as(made.describe()).contains("kumo.on('init'");

        List<String> classes = mtaClassLog("cached", Map.of());

        assertThat(source(classes, "dev.sluice.cli.Main")).isEqualTo("shared objects file");
        assertThat(source(classes, "dev.sluice.mta.app.MtaApp")).isEqualTo("shared objects file");
        assertThat(source(classes, "dev.sluice.mta.ingress.smtp.EsmtpServer")).isEqualTo("shared objects file");
        // picocli built `mta` alone: not the model of `tsa` (its methods name the TSA daemon), nor the kcli verbs'
        // (their class holds a JSON mapper)
        assertThat(source(classes, "dev.sluice.tsa.TsaDaemon")).isEqualTo("(not loaded)");
        assertThat(source(classes, "dev.sluice.cli.AdminCommands")).isEqualTo("(not loaded)");
        // logback configured in code, without its XML configuration
        assertThat(source(classes, "ch.qos.logback.classic.joran.JoranConfigurator")).isEqualTo("(not loaded)");
        assertThat(source(classes, "dev.sluice.cli.LogConfigurator")).isEqualTo("shared objects file");
    }

    @Test
    void sluiceCds0GoesWithoutAndOtherCommandsDoNotMapIt() {
        ToolResult made = sluice(Map.of("SLUICE_CDS", "wait"), "mta", "--print-default-policy");
        assertThat(made.exitCode()).as(made.describe()).isZero();
        String[] print = {"mta", "--print-default-policy", "--data-dir", dir.toString()};

        ToolResult cached = sluice(Map.of("JAVA_OPTS", "-Xlog:class+load"), print);
        ToolResult without = sluice(Map.of("JAVA_OPTS", "-Xlog:class+load", "SLUICE_CDS", "0"), print);
        // the JVM loads every class of the cache at its start: more than a short verb saves (and, for the proxy,
        // memory for nothing), so only `mta` maps it
        ToolResult verb = sluice(Map.of("JAVA_OPTS", "-Xlog:class+load"), "version");

        assertThat(cached.stdout()).as(cached.describe()).contains("dev.sluice.cli.Main source: shared objects file");
        assertThat(without.stdout()).as(without.describe()).contains("dev.sluice.cli.Main source: file:");
        assertThat(verb.stdout()).as(verb.describe()).contains("dev.sluice.cli.Main source: file:");
        // the same answer either way, and nothing about the cache on stdout or stderr
        assertThat(cached.stdout().lines().filter(l -> !l.startsWith("[")).toList()).as(cached.describe())
                .isEqualTo(without.stdout().lines().filter(l -> !l.startsWith("[")).toList());
        assertThat(cached.stderr()).as(cached.describe()).isEmpty();
    }

    @Test
    void aCacheTheJvmCannotUseIsLeftSilently() {
        ToolResult made = sluice(Map.of("SLUICE_CDS", "wait"), "mta", "--print-default-policy");
        assertThat(made.exitCode()).as(made.describe()).isZero();
        String[] print = {"mta", "--print-default-policy", "--data-dir", dir.toString()};

        // the cache holds for compact object headers only: with them off the JVM refuses it and runs without
        ToolResult refused = sluice(Map.of("JAVA_OPTS", "-XX:-UseCompactObjectHeaders"), print);
        ToolResult without = sluice(Map.of("SLUICE_CDS", "0"), print);

        assertThat(refused.exitCode()).as(refused.describe()).isZero();
        assertThat(refused.stdout()).as(refused.describe()).isEqualTo(without.stdout()).contains("kumo.on('init'");
        assertThat(refused.stderr()).as(refused.describe()).isEmpty();
    }
}
