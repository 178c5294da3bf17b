package dev.sluice.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * An aiosmtpd-based SMTP sink (shipped script, run by {@code /usr/bin/python3}: PATH's python3 lacks
 * aiosmtpd), optionally offering STARTTLS with a generated self-signed certificate. Messages are
 * saved like smtp-sink's dumps (plus {@code X-TLS: yes|no}), so {@link DumpedMessage} parses them.
 */
public final class AiosmtpdSink extends Peer {
    public static final String PYTHON = "/usr/bin/python3";

    private final Path dumpDir;
    private final Path certificate;

    private AiosmtpdSink(PeerSpec spec, Path dumpDir, Path certificate) {
        super(spec);
        this.dumpDir = dumpDir;
        this.certificate = certificate;
    }

    public static Builder builder() {
        return new Builder();
    }

    public Path dumpDir() { return dumpDir; }

    /** PEM certificate offered with STARTTLS, or null without TLS (trust it in clients that verify). */
    public Path certificate() { return certificate; }

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

    public static final class Builder extends PeerBuilder<Builder> {
        private boolean starttls;
        private boolean requireStarttls;
        private Path cert;
        private Path key;
        private String dataReply;
        private String rcptReply;
        private int rcptReplyCount = -1;

        /** Offer STARTTLS with a self-signed certificate for CN=localhost generated at start. */
        public Builder starttls() {
            this.starttls = true;
            return this;
        }

        /** Offer STARTTLS with the given PEM certificate and key. */
        public Builder starttls(Path certificate, Path privateKey) {
            this.starttls = true;
            this.cert = certificate;
            this.key = privateKey;
            return this;
        }

        /** Refuse MAIL/RCPT/DATA until STARTTLS was done. */
        public Builder requireStarttls() {
            this.requireStarttls = true;
            return starttls();
        }

        /** Reply to DATA with this instead of "250 OK" (e.g. "451 4.3.0 try later"); non-2xx means not saved. */
        public Builder dataReply(String reply) {
            this.dataReply = reply;
            return this;
        }

        /** Reply to every RCPT with this (e.g. "550 5.1.1 no such user"). */
        public Builder rcptReply(String reply) {
            this.rcptReply = reply;
            return this;
        }

        /** Reply to the first {@code count} RCPTs with this (e.g. a deferral), then accept as usual. */
        public Builder rcptReply(String reply, int count) {
            this.rcptReply = reply;
            this.rcptReplyCount = count;
            return this;
        }

        public AiosmtpdSink start() {
            int p = resolvePort();
            String base = PeerLogs.uniqueName("aiosmtpd");
            Path dir = PeerLogs.newDir(base);
            Path dump = PeerLogs.newDir(base + "/dump");
            List<String> cmd = new ArrayList<>(List.of(PYTHON, script(dir).toString(), "--host", host, "--port",
                    Integer.toString(p), "--dir", dump.toString()));
            Path certificate = null;
            if (starttls) {
                if (cert == null) {
                    certificate = dir.resolve("cert.pem");
                    Path privateKey = dir.resolve("key.pem");
                    selfSigned(certificate, privateKey);
                    cmd.addAll(List.of("--cert", certificate.toString(), "--key", privateKey.toString()));
                } else {
                    certificate = cert;
                    cmd.addAll(List.of("--cert", cert.toString(), "--key", key.toString()));
                }
                if (requireStarttls) cmd.add("--require-starttls");
            }
            if (dataReply != null) cmd.addAll(List.of("--data-reply", dataReply));
            if (rcptReply != null) cmd.addAll(List.of("--rcpt-reply", rcptReply));
            if (rcptReplyCount >= 0) cmd.addAll(List.of("--rcpt-reply-count", Integer.toString(rcptReplyCount)));
            return new AiosmtpdSink(new PeerSpec("aiosmtpd", cmd, host, p, namespace, Map.of(), null,
                    Readiness.logLine("^READY "), startTimeout), dump, certificate);
        }

        private static Path script(Path dir) {
            Path target = dir.resolve("aiosmtpd_sink.py");
            try (InputStream in = AiosmtpdSink.class.getResourceAsStream("aiosmtpd_sink.py")) {
                if (in == null) throw new IllegalStateException("aiosmtpd_sink.py missing from the testkit jar");
                Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return target;
        }

        private static void selfSigned(Path certificate, Path privateKey) {
            ToolResult r = Tool.run(List.of("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "7",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1",
                    "-keyout", privateKey.toString(), "-out", certificate.toString()));
            if (!r.ok()) throw new PeerStartException("cannot generate a self-signed certificate: " + r.describe());
        }
    }
}
