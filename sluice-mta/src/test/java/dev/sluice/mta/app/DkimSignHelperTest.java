package dev.sluice.mta.app;

import static dev.sluice.mta.app.MtaFixture.hostPort;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.testkit.CommandTool;
import dev.sluice.testkit.DkimVerifier;
import dev.sluice.testkit.DumpedMessage;
import dev.sluice.testkit.SmtpSink;
import dev.sluice.testkit.ToolResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code require 'policy-extras.dkim_sign'}: a KumoMTA user's dkim_data.toml signs by the From domain (wildcards,
 * ed25519), adds the additional signatures their policy asks for, and the delivered message verifies with dkimpy.
 */
class DkimSignHelperTest extends MtaAppTestBase {
    private Path policy(String toml) throws Exception {
        Files.writeString(dir.resolve("dkim_data.toml"), toml.replace("DIR", dir.toAbsolutePath().toString()));
        return MtaFixture.policy(dir, sink.port(), "", """
                local dkim_sign = require 'policy-extras.dkim_sign'
                local signer = dkim_sign:setup { '%s' }
                kumo.on('smtp_server_message_received', function(msg) signer(msg) end)
                """.formatted(dir.resolve("dkim_data.toml")));
    }

    private ToolResult send(String from) {
        return CommandTool.SWAKS.run("--server", hostPort(app.esmtpAddresses().getFirst()),
                "--from", "bounce@example.org", "--to", "bob@example.test",
                "--header", "From: Sender <" + from + ">", "--header", "Subject: helper signed");
    }

    private DumpedMessage delivered(int count, String from) {
        return sink.awaitMessages(count, WAIT).stream()
                .filter(m -> m.header("From").orElse("").contains(from)).findFirst().orElseThrow();
    }

    @Test
    void theFromDomainsBlockSignsAndAnAdditionalSignatureFollowsItsPolicy() throws Exception {
        DkimVerifier.Key rsa = DkimVerifier.rsa(dir, "rsa", false);
        DkimVerifier.Key ed = DkimVerifier.ed25519(dir, "ed", false);
        DkimVerifier.Key esp = DkimVerifier.rsa(dir, "esp", false);
        sink = SmtpSink.start();
        app = MtaFixture.start(policy("""
                [base]
                selector = "s1"
                headers = ["From", "To", "Subject"]
                additional_signatures = ["esp"]

                [domain."example.org"]
                filename = "%s"

                [domain."*.example.net"]
                selector = "ed1"
                algo = "ed25519"
                filename = "%s"

                [signature."esp"]
                domain = "esp.example"
                selector = "esp1"
                filename = "%s"
                policy = "OnlyIfMissingDomainBlock"
                """.formatted(rsa.privateKey(), ed.privateKey(), esp.privateKey())));
        Map<String, String> dns = Map.of("s1._domainkey.example.org", rsa.txtRecord(),
                "ed1._domainkey.news.example.net", ed.txtRecord(), "esp1._domainkey.esp.example", esp.txtRecord());

        assertThat(send("alice@example.org").ok()).isTrue();
        DumpedMessage org = delivered(1, "alice@example.org");
        assertThat(org.headerValues("DKIM-Signature")).singleElement().asString().contains("d=example.org", "s=s1");
        assertThat(DkimVerifier.verify(Files.readAllBytes(org.file()), dns).stdout()).contains("1 signatures, 0 failed");

        assertThat(send("news@news.example.net").ok()).isTrue();
        DumpedMessage net = delivered(2, "news@news.example.net");
        assertThat(net.headerValues("DKIM-Signature")).singleElement().asString().contains("a=ed25519-sha256", "d=news.example.net");
        assertThat(DkimVerifier.verify(Files.readAllBytes(net.file()), dns).stdout()).contains("1 signatures, 0 failed");

        // no domain block for this From: the ESP's signature stands in
        assertThat(send("someone@elsewhere.test").ok()).isTrue();
        DumpedMessage other = delivered(3, "someone@elsewhere.test");
        assertThat(other.headerValues("DKIM-Signature")).singleElement().asString().contains("d=esp.example");
        assertThat(DkimVerifier.verify(Files.readAllBytes(other.file()), dns).stdout()).contains("1 signatures, 0 failed");
    }

    @Test
    void aDomainWithoutASelectorStopsTheStartNamingTheFileAndBlock() throws Exception {
        sink = SmtpSink.start();
        Path file = policy("""
                [domain."example.org"]
                filename = "DIR/none.key"
                """);
        assertThatThrownBy(() -> app = MtaFixture.start(file))
                .hasMessageContaining(dir.resolve("dkim_data.toml") + ": [domain.\"example.org\"]: no selector here and none in [base]");
    }
}
