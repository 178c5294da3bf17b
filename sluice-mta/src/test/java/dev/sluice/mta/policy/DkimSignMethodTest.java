package dev.sluice.mta.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.mta.message.Message;
import dev.sluice.mta.message.MessageId;
import dev.sluice.policy.Policy;
import dev.sluice.policy.PolicyException;
import dev.sluice.policy.PolicyOptions;
import dev.sluice.testkit.DkimVerifier;
import dev.sluice.testkit.ToolResult;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code msg:dkim_sign}: the field goes on top in the message's own line ending and verifies as delivered. */
class DkimSignMethodTest {
    @TempDir
    Path dir;

    private Object run(Message m, String lua) throws Exception {
        Path file = dir.resolve("p.lua");
        Files.writeString(file, "kumo.on('e', function(msg) " + lua + " end)\n");
        try (Policy p = Policy.load(new PolicyOptions(file, 1, List.of(), null))) {
            return p.call("e", new LuaMessage(m));
        }
    }

    @Test
    void aBareLfMessageKeepsItsLineEndingsAndVerifiesOnTheWire() throws Exception {
        DkimVerifier.Key key = DkimVerifier.ed25519(dir, "ed", false);
        String data = "From: a@example.com\nSubject: lf  only\n\nbody line\n";
        Message m = new Message(MessageId.next(Instant.now()), "a@example.com", "b@example.net", Map.of(),
                data.getBytes(StandardCharsets.UTF_8));
        run(m, "msg:dkim_sign(kumo.dkim.ed25519_signer { domain = 'example.com', selector = 'ed',"
                + " headers = {'From', 'Subject'}, key = '" + key.privateKey() + "' })");
        String signed = m.dataAsString();
        assertThat(signed).startsWith("DKIM-Signature: v=1; a=ed25519-sha256;").endsWith("\n" + data).doesNotContain("\r");
        ToolResult r = DkimVerifier.verify(signed.replace("\n", "\r\n").getBytes(StandardCharsets.UTF_8),
                Map.of("ed._domainkey.example.com", key.txtRecord()));
        assertThat(r.ok()).as(r.describe()).isTrue();
    }

    /**
     * A large message still in the file it was received into is signed with its body hashed from the file (relaxed
     * and simple, with l=): it stays there, and the signature verifies on what is delivered.
     */
    @Test
    void aLargeReceivedMessageIsSignedFromItsFileAndVerifies() throws Exception {
        DkimVerifier.Key key = DkimVerifier.rsa(dir, "rsa", false);
        StringBuilder body = new StringBuilder();
        for (int i = 0; body.length() < 3 << 20; i++) {
            body.append("line ").append(i).append("  with\t spaces \r\n");
        }
        body.append("\r\n\r\n");
        byte[] sent = ("From: a@example.com\r\nSubject: large\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII);
        for (String canon : List.of("Relaxed", "Simple")) {
            var file = dev.sluice.mta.message.SpillFile.create(dir.resolve("incoming"));
            file.append(sent, 0, sent.length);
            Message m = new Message(MessageId.next(Instant.now()), "a@example.com", "b@example.net", Map.of(),
                    file.finish().withPrefix("Received: by test\r\n".getBytes(StandardCharsets.US_ASCII)));
            run(m, "msg:dkim_sign(kumo.dkim.rsa_sha256_signer { domain = 'example.com', selector = 'rsa',"
                    + " headers = {'From', 'Subject'}, body_canonicalization = '" + canon + "',"
                    + " header_canonicalization = '" + canon + "', body_length = true, key = '"
                    + key.privateKey() + "' })");
            assertThat(m.spilled()).as("still in its file").isNotNull();
            byte[] signed = m.data();
            assertThat(new String(signed, 0, 40, StandardCharsets.US_ASCII)).startsWith("DKIM-Signature: v=1;");
            ToolResult r = DkimVerifier.verify(signed, Map.of("rsa._domainkey.example.com", key.txtRecord()));
            assertThat(r.ok()).as(canon + ": " + r.describe()).isTrue();
            file.close();
        }
    }

    @Test
    void somethingElseThanASignerIsAClearError() {
        Message m = new Message(MessageId.next(Instant.now()), "a@example.com", "b@example.net", Map.of(),
                "From: a@example.com\r\n\r\nx\r\n".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> run(m, "msg:dkim_sign({domain = 'example.com'})"))
                .isInstanceOf(PolicyException.class)
                .hasMessageContaining("p.lua:1: msg:dkim_sign: expected a signer from kumo.dkim.rsa_sha256_signer"
                        + " or kumo.dkim.ed25519_signer, got table");
    }
}
