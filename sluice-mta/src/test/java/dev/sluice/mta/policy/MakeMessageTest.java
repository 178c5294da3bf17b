package dev.sluice.mta.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.policy.Policy;
import dev.sluice.policy.PolicyException;
import dev.sluice.policy.PolicyOptions;
import dev.sluice.testkit.DkimVerifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kumo.make_message}: a message object in Lua only, with the reception events' methods. */
class MakeMessageTest {
    @TempDir
    Path dir;

    private Policy load(String lua) throws Exception {
        Path file = dir.resolve("policy.lua");
        Files.writeString(file, lua);
        return Policy.load(new PolicyOptions(file, 1, List.of(MakeMessage.module()), null));
    }

    @Test
    void aMadeMessageHasTheEnvelopeHeadersAndMethodsOfAReceivedOne() throws Exception {
        DkimVerifier.Key key = DkimVerifier.rsa(dir, "k", false);
        try (Policy p = load("""
                kumo.on('test', function()
                  local msg = kumo.make_message('bounce@example.org', 'bob@example.test',
                    'From: <alice@example.org>\\r\\nSubject: made\\r\\n\\r\\nhello\\r\\n')
                  msg:set_meta('tenant', 'acme')
                  msg:dkim_sign(kumo.dkim.rsa_sha256_signer {
                    domain = 'example.org', selector = 's', headers = { 'From', 'Subject' }, key = '%s' })
                  return {
                    sender = tostring(msg:sender()), domain = msg:recipient().domain,
                    subject = msg:get_first_named_header_value('Subject'), tenant = msg:get_meta('tenant'),
                    from = msg:from_header().email, data = msg:get_data(),
                  }
                end)
                """.formatted(key.privateKey()))) {
            @SuppressWarnings("unchecked") Map<String, Object> r = (Map<String, Object>) p.call("test");
            assertThat(r).containsEntry("sender", "bounce@example.org").containsEntry("domain", "example.test")
                    .containsEntry("subject", "made").containsEntry("tenant", "acme")
                    .containsEntry("from", "alice@example.org");
            String data = String.valueOf(r.get("data"));
            assertThat(data).startsWith("DKIM-Signature:").endsWith("hello\r\n");
            assertThat(DkimVerifier.verify(data.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    Map.of("s._domainkey.example.org", key.txtRecord())).ok()).isTrue();
        }
    }

    @Test
    void aMissingBodyIsAnErrorAtTheCallersLine() throws Exception {
        try (Policy p = load("kumo.on('test', function()\n  return kumo.make_message('a@b.c', 'd@e.f')\nend)\n")) {
            assertThatThrownBy(() -> p.call("test")).isInstanceOf(PolicyException.class)
                    .hasMessageContaining("policy.lua:2: kumo.make_message: argument #3 (body) must be a string, got nil");
        }
    }
}
