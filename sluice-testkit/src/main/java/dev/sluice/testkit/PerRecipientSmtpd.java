package dev.sluice.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * aiosmtpd answering each RCPT by its local part (defer* 451, reject* 550, slow* late 250, else 250):
 * neither smtp-sink nor the testkit's aiosmtpd sink can treat recipients of one transaction differently.
 */
public final class PerRecipientSmtpd extends Peer {
    private final Path dumpDir;

    private PerRecipientSmtpd(PeerSpec spec, Path dumpDir) {
        super(spec);
        this.dumpDir = dumpDir;
    }

    public static PerRecipientSmtpd start(int slowSeconds) {
        try {
            Path dir = Files.createTempDirectory(PeerLogs.dir(), "per-rcpt-smtpd");
            Path dump = Files.createDirectory(dir.resolve("dump"));
            Path script = dir.resolve("per_recipient_smtpd.py");
            try (InputStream in = PerRecipientSmtpd.class.getResourceAsStream("per_recipient_smtpd.py")) {
                Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
            }
            int port = FreePorts.tcp("127.0.0.1");
            List<String> cmd = List.of(AiosmtpdSink.PYTHON, script.toString(), "--host", "127.0.0.1", "--port",
                    Integer.toString(port), "--dir", dump.toString(), "--slow", Integer.toString(slowSeconds));
            return new PerRecipientSmtpd(new PeerSpec("per-rcpt-smtpd", cmd, "127.0.0.1", port, null, Map.of(), null,
                    Readiness.logLine("^READY "), PeerSpec.DEFAULT_START_TIMEOUT), dump);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Saved messages (complete files only), oldest first. */
    public List<DumpedMessage> messages() {
        try (Stream<Path> files = Files.list(dumpDir)) {
            return files.filter(f -> f.toString().endsWith(".eml")).sorted().map(DumpedMessage::parse).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
