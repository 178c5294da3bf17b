package dev.sluice.mta.app;

import static dev.sluice.mta.app.MtaFixture.hostPort;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.testkit.CommandTool;
import dev.sluice.testkit.DkimVerifier;
import dev.sluice.testkit.DumpedMessage;
import dev.sluice.testkit.SmtpSink;
import dev.sluice.testkit.ToolResult;
import java.nio.file.Files;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A policy signs in {@code smtp_server_message_received} (RSA relaxed and Ed25519 simple with over-signing); the
 * message the sink receives carries both signatures and dkimpy verifies them with the published keys.
 */
class DkimSignTest extends MtaAppTestBase {
    @Test
    void aMessageSignedAtReceptionVerifiesWhereItIsDelivered() throws Exception {
        DkimVerifier.Key rsa = DkimVerifier.rsa(dir, "rsa", false);
        DkimVerifier.Key ed = DkimVerifier.ed25519(dir, "ed", true);
        sink = SmtpSink.start();
        app = MtaFixture.start(MtaFixture.policy(dir, sink.port(), "", """
                kumo.on('smtp_server_message_received', function(msg)
                  local domain = msg:from_header().domain
                  msg:dkim_sign(kumo.dkim.rsa_sha256_signer {
                    domain = domain, selector = 'mta', key = '%s',
                    headers = { 'From', 'To', 'Subject', 'Date', 'Message-ID' },
                  })
                  msg:dkim_sign(kumo.dkim.ed25519_signer {
                    domain = domain, selector = 'ed', key = { key_data = io.open('%s'):read('a') },
                    headers = { 'From', 'To', 'Subject' }, over_sign = true,
                    header_canonicalization = 'Simple', body_canonicalization = 'Simple',
                  })
                end)
                """.formatted(rsa.privateKey(), ed.privateKey())));
        ToolResult r = CommandTool.SWAKS.run("--server", hostPort(app.esmtpAddresses().getFirst()),
                "--from", "alice@example.org", "--to", "bob@example.test", "--helo", "client.test",
                "--header", "From: Alice <alice@example.org>", "--header", "Subject: signed   at  reception",
                "--body", "line one   \r\n\tline two\r\n\r\n\r\n");
        assertThat(r.ok()).as(r.describe()).isTrue();
        DumpedMessage got = sink.awaitMessages(1, WAIT).getFirst();

        assertThat(got.headerValues("DKIM-Signature")).hasSize(2);
        ToolResult verified = DkimVerifier.verify(Files.readAllBytes(got.file()), Map.of(
                "mta._domainkey.example.org", rsa.txtRecord(),
                "ed._domainkey.example.org", ed.txtRecord()));
        assertThat(verified.ok()).as(verified.describe()).isTrue();
        assertThat(verified.stdout()).contains("2 signatures, 0 failed");
    }
}
