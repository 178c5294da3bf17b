package dev.sluice.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Postfix {@code smtp-sink} dumping every message into a directory:
 * {@code smtp-sink -u nobody [switches] -d DIR/%Y%m%d%H%M%S. ADDR:PORT BACKLOG}.
 */
public final class SmtpSink extends Peer {
    private final Path dumpDir;

    private SmtpSink(PeerSpec spec, Path dumpDir) {
        super(spec);
        this.dumpDir = dumpDir;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** smtp-sink on a free port of 127.0.0.1 with default behaviour. */
    public static SmtpSink start() {
        return builder().start();
    }

    /** Directory holding one file per received message (written as user nobody). */
    public Path dumpDir() { return dumpDir; }

    /** Received messages, oldest first (file names start with the receive time). */
    public List<DumpedMessage> messages() {
        return MessageDir.read(dumpDir);
    }

    /**
     * Waits (up to the timeout) until at least {@code count} messages arrived and are completely
     * written, then returns all messages; the AssertionError names this peer and its log.
     */
    public List<DumpedMessage> awaitMessages(int count, java.time.Duration timeout) {
        return MessageDir.await(dumpDir, count, timeout, describe());
    }

    /** {@link #awaitMessages(int, java.time.Duration)} with 60 seconds. */
    public List<DumpedMessage> awaitMessages(int count) {
        return awaitMessages(count, java.time.Duration.ofSeconds(60));
    }

    @Override
    public String describe() {
        return super.describe() + ", dumps " + dumpDir;
    }

    public static final class Builder extends PeerBuilder<Builder> {
        private final List<String> switches = new ArrayList<>();
        private int backlog = 100;

        /**
         * Extra smtp-sink switches, placed before the address, e.g. {@code option("-r", "rcpt")},
         * {@code option("-f", "data")}, {@code option("-q", "mail")}, {@code option("-w", "3")},
         * {@code option("-e")}, {@code option("-p")}, {@code option("-c")}.
         */
        public Builder option(String... args) {
            switches.addAll(List.of(args));
            return this;
        }

        /** {@code -f}: reject these commands (e.g. "rcpt", "data", "mail") with a 5xx. */
        public Builder hardReject(String... commands) {
            return option("-f", String.join(",", commands));
        }

        /** {@code -r}: reject these commands with a 4xx. */
        public Builder softReject(String... commands) {
            return option("-r", String.join(",", commands));
        }

        /** {@code -q}: disconnect without replying after these commands. */
        public Builder disconnectAfter(String... commands) {
            return option("-q", String.join(",", commands));
        }

        /** {@code -w}: wait this many seconds before answering DATA. */
        public Builder dataDelay(int seconds) {
            return option("-w", Integer.toString(seconds));
        }

        /** {@code -e}: do not announce ESMTP. */
        public Builder noEsmtp() {
            return option("-e");
        }

        /** {@code -p}: do not announce PIPELINING. */
        public Builder noPipelining() {
            return option("-p");
        }

        public Builder backlog(int backlog) {
            this.backlog = backlog;
            return this;
        }

        /**
         * smtp-sink writes dumps as nobody: the dir is world-writable, and lives under target/peers when
         * nobody can reach that (umask 022), else under /tmp.
         */
        private static Path dumpDir() {
            String name = PeerLogs.uniqueName("smtp-sink-dump");
            try {
                Path dump = othersCanTraverse(PeerLogs.dir()) ? PeerLogs.newDir(name)
                        : Files.createTempDirectory(name);
                Files.setPosixFilePermissions(dump, PosixFilePermissions.fromString("rwxrwxrwx"));
                return dump;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private static boolean othersCanTraverse(Path dir) throws IOException {
            for (Path d = dir.toAbsolutePath(); d != null; d = d.getParent()) {
                if (!Files.getPosixFilePermissions(d).contains(java.nio.file.attribute.PosixFilePermission.OTHERS_EXECUTE)) {
                    return false;
                }
            }
            return true;
        }

        public SmtpSink start() {
            int p = resolvePort();
            Path dump = dumpDir();
            List<String> cmd = new ArrayList<>(List.of("smtp-sink", "-u", "nobody"));
            cmd.addAll(switches);
            cmd.addAll(List.of("-d", dump + "/%Y%m%d%H%M%S.", Net.hostPort(host, p), Integer.toString(backlog)));
            return new SmtpSink(new PeerSpec("smtp-sink", cmd, host, p, namespace, Map.of(), null,
                    Readiness.portOpen(), startTimeout), dump);
        }
    }
}
