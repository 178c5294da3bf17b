package dev.sluice.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * An independent DKIM verifier: Debian's python3-dkim (dkimpy, with python3-nacl for Ed25519) run as
 * {@code /usr/bin/python3}, its DNS look-ups answered from a map given by the test (dkimpy's {@code dnsfunc}), and
 * DKIM keys made by {@code openssl}. {@link #verify} checks every DKIM-Signature field of a message.
 */
public final class DkimVerifier {
    private static final String PYTHON = "/usr/bin/python3";
    private static final String SCRIPT = """
            import sys, json, logging, dkim
            message = open(sys.argv[1], 'rb').read()
            records = json.loads(sys.argv[2])
            def dnsfunc(name, timeout=5):
                name = name.decode() if isinstance(name, bytes) else name
                record = records.get(name.rstrip('.').lower())
                return record.encode() if record is not None else None
            logging.basicConfig(stream=sys.stderr, level=logging.DEBUG)
            d = dkim.DKIM(message, logger=logging.getLogger('dkimpy'))
            count = sum(1 for name, _ in d.headers if name.lower() == b'dkim-signature')
            failed = 0
            for i in range(count):
                try:
                    ok, why = d.verify(idx=i, dnsfunc=dnsfunc), ''
                except dkim.DKIMException as e:
                    ok, why = False, ' (%s)' % e
                print('signature %d: %s%s' % (i, 'pass' if ok else 'fail', why))
                failed += 0 if ok else 1
            print('%d signatures, %d failed' % (count, failed))
            sys.exit(0 if count > 0 and failed == 0 else 1)
            """;

    private DkimVerifier() {}

    /** A private key file and the TXT record that publishes its public key. */
    public record Key(Path privateKey, String txtRecord) {}

    /** A 2048-bit RSA key: PKCS#1 PEM ({@code BEGIN RSA PRIVATE KEY}) when {@code pkcs1}, else PKCS#8 PEM. */
    public static Key rsa(Path dir, String name, boolean pkcs1) {
        Path key = dir.resolve(name + ".pem");
        openssl(pkcs1 ? List.of("genrsa", "-traditional", "-out", key.toString(), "2048")
                : List.of("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", key.toString()));
        byte[] spki = publicDer(dir, key, name);
        return new Key(key, "v=DKIM1; k=rsa; p=" + Base64.getEncoder().encodeToString(spki));
    }

    /** An Ed25519 key in PKCS#8, DER when {@code der}, else PEM; the record holds the raw 32-byte public key. */
    public static Key ed25519(Path dir, String name, boolean der) {
        Path key = dir.resolve(name + (der ? ".der" : ".pem"));
        openssl(List.of("genpkey", "-algorithm", "ed25519", "-outform", der ? "DER" : "PEM", "-out", key.toString()));
        byte[] spki = publicDer(dir, key, name);
        byte[] raw = Arrays.copyOfRange(spki, spki.length - 32, spki.length);
        return new Key(key, "v=DKIM1; k=ed25519; p=" + Base64.getEncoder().encodeToString(raw));
    }

    /**
     * Verifies every DKIM-Signature of {@code message} with dkimpy; {@code txtRecords} maps
     * {@code selector._domainkey.domain} to its TXT record. OK only when there is at least one signature and every
     * one passes; the output has a line per signature and dkimpy's log.
     */
    public static ToolResult verify(byte[] message, Map<String, String> txtRecords) {
        try {
            Path file = Files.createTempFile(PeerLogs.dir(), "dkim-message", ".eml");
            Files.write(file, message);
            String json = txtRecords.entrySet().stream()
                    .map(e -> quote(e.getKey().toLowerCase(java.util.Locale.ROOT)) + ":" + quote(e.getValue()))
                    .collect(Collectors.joining(",", "{", "}"));
            return Tool.run(List.of(PYTHON, "-c", SCRIPT, file.toString(), json));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] publicDer(Path dir, Path key, String name) {
        Path pub = dir.resolve(name + ".pub.der");
        openssl(List.of("pkey", "-inform", key.toString().endsWith(".der") ? "DER" : "PEM", "-in", key.toString(), "-pubout", "-outform", "DER", "-out", pub.toString()));
        try {
            return Files.readAllBytes(pub);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void openssl(List<String> args) {
        List<String> cmd = new java.util.ArrayList<>();
        cmd.add("openssl");
        cmd.addAll(args);
        ToolResult r = Tool.run(cmd);
        if (!r.ok()) {
            throw new IllegalStateException("openssl failed: " + r.describe());
        }
    }

    private static String quote(String s) {
        return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }
}
