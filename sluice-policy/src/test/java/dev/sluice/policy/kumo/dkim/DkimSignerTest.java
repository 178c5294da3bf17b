package dev.sluice.policy.kumo.dkim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.policy.Policy;
import dev.sluice.policy.PolicyException;
import dev.sluice.policy.kumo.LuaSnippets;
import dev.sluice.testkit.DkimVerifier;
import dev.sluice.testkit.ToolResult;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every signature made here is checked by an independent verifier (dkimpy, {@link DkimVerifier}) with the public
 * key served from the test's DNS answers.
 */
class DkimSignerTest {
    private static final String MESSAGE = String.join("\r\n",
            "Received: from client.example by mx.example; Sun, 6 Dec 2026 09:00:00 +0000",
            "From: Alice Example <alice@example.com>",
            "To: bob@example.net,",
            "\tcarol@example.net",
            "Subject:   Hello   \t there ",
            "Date: Sun, 6 Dec 2026 09:00:00 +0000",
            "Message-ID: <1@example.com>",
            "",
            "Dear Bob,   ",
            "",
            "  a line \t with  spaces\t",
            ".leading dot",
            "",
            "",
            "");

    @TempDir
    static Path keys;
    static DkimVerifier.Key rsaPkcs8;
    static DkimVerifier.Key rsaPkcs1;
    static DkimVerifier.Key edDer;
    static DkimVerifier.Key edPem;

    @TempDir
    Path dir;

    @BeforeAll
    static void makeKeys() {
        rsaPkcs8 = DkimVerifier.rsa(keys, "rsa8", false);
        rsaPkcs1 = DkimVerifier.rsa(keys, "rsa1", true);
        edDer = DkimVerifier.ed25519(keys, "ed-der", true);
        edPem = DkimVerifier.ed25519(keys, "ed-pem", false);
    }

    @Test
    void rsaRelaxedRelaxedFromAKeyFileVerifies() throws Exception {
        DkimSigner signer = luaSigner("rsa_sha256_signer", "s1", "'" + rsaPkcs8.privateKey() + "'", "");
        String field = signer.sign(bytes(MESSAGE), Instant.now());
        assertThat(field).startsWith("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=s1;")
                .endsWith("\r\n");
        assertThat(field.replace("\r\n\t", "")).contains("h=from:to:subject:date:message-id:cc;");
        assertThat(field.lines()).allMatch(l -> l.length() <= 78);
        assertVerifies(field + MESSAGE, Map.of("s1._domainkey.example.com", rsaPkcs8.txtRecord()));
    }

    @Test
    void rsaSimpleSimpleFromInlineKeyDataVerifies() throws Exception {
        String pem = Files.readString(rsaPkcs1.privateKey());
        assertThat(pem).contains("BEGIN RSA PRIVATE KEY");
        DkimSigner signer = luaSigner("rsa_sha256_signer", "s2", "{key_data = [[" + pem + "]]}",
                "header_canonicalization = 'Simple', body_canonicalization = 'Simple',");
        String field = signer.sign(bytes(MESSAGE), Instant.now());
        assertThat(field).contains("c=simple/simple;");
        assertVerifies(field + MESSAGE, Map.of("s2._domainkey.example.com", rsaPkcs1.txtRecord()));
    }

    @Test
    void ed25519BothCanonicalizationsAndKeyEncodingsVerify() throws Exception {
        DkimSigner relaxed = luaSigner("ed25519_signer", "ed1", "'" + edDer.privateKey() + "'", "");
        DkimSigner simple = luaSigner("ed25519_signer", "ed2", "'" + edPem.privateKey() + "'",
                "header_canonicalization = 'Simple', body_canonicalization = 'Simple',");
        String once = relaxed.sign(bytes(MESSAGE), Instant.now());
        assertThat(once).contains("a=ed25519-sha256; c=relaxed/relaxed;");
        String twice = simple.sign(bytes(once + MESSAGE), Instant.now());
        assertThat(twice).contains("c=simple/simple;");
        // both signatures of the message verify: the Ed25519 relaxed one and the Ed25519 simple one
        assertVerifies(twice + once + MESSAGE, Map.of(
                "ed1._domainkey.example.com", edDer.txtRecord(),
                "ed2._domainkey.example.com", edPem.txtRecord()));
    }

    @Test
    void aMessageChangedAfterSigningFailsVerification() throws Exception {
        Map<String, String> dns = Map.of("s1._domainkey.example.com", rsaPkcs8.txtRecord(),
                "ed1._domainkey.example.com", edDer.txtRecord());
        for (DkimSigner signer : List.of(
                luaSigner("rsa_sha256_signer", "s1", "'" + rsaPkcs8.privateKey() + "'", ""),
                luaSigner("ed25519_signer", "ed1", "'" + edDer.privateKey() + "'", "body_canonicalization = 'Simple',"))) {
            String field = signer.sign(bytes(MESSAGE), Instant.now());
            assertVerifies(field + MESSAGE, dns);
            assertFails(field + MESSAGE.replace("Dear Bob", "Dear Eve"), dns);
            assertFails(field + MESSAGE.replace("Subject:   Hello", "Subject:   Hullo"), dns);
        }
    }

    @Test
    void overSigningStopsAnAddedHeaderFromPassing() throws Exception {
        Map<String, String> dns = Map.of("s1._domainkey.example.com", rsaPkcs8.txtRecord());
        String key = "'" + rsaPkcs8.privateKey() + "'";
        String forged = "Subject: forged\r\n";
        DkimSigner over = luaSigner("rsa_sha256_signer", "s1", key, "over_sign = true,");
        String field = over.sign(bytes(MESSAGE), Instant.now());
        // present once each, plus one more; Cc is absent, so listed once
        assertThat(field.replaceAll("\r\n\t", "")).contains("h=from:from:to:to:subject:subject:date:date:"
                + "message-id:message-id:cc;");
        assertVerifies(field + MESSAGE, dns);
        assertFails(field + forged + MESSAGE, dns);
        assertFails(field + "Cc: eve@example.org\r\n" + MESSAGE, dns);

        // without over_sign, the same forgery still verifies: that is what over_sign is for
        DkimSigner plain = luaSigner("rsa_sha256_signer", "s1", key, "");
        String plainField = plain.sign(bytes(MESSAGE), Instant.now());
        assertVerifies(plainField + forged + MESSAGE, dns);
    }

    @Test
    void bareLfMessagesAreSignedAsTheyGoOnTheWire() throws Exception {
        String lf = MESSAGE.replace("\r\n", "\n");
        Map<String, String> dns = Map.of("s1._domainkey.example.com", rsaPkcs8.txtRecord(),
                "ed2._domainkey.example.com", edPem.txtRecord());
        String relaxed = luaSigner("rsa_sha256_signer", "s1", "'" + rsaPkcs8.privateKey() + "'", "").sign(bytes(lf), Instant.now());
        String simple = luaSigner("ed25519_signer", "ed2", "'" + edPem.privateKey() + "'",
                "header_canonicalization = 'Simple', body_canonicalization = 'Simple',").sign(bytes(lf), Instant.now());
        assertVerifies(relaxed + simple + MESSAGE, dns);
    }

    @Test
    void optionalTagsAreWrittenAndStillVerify() throws Exception {
        Instant now = Instant.now();
        DkimSigner signer = luaSigner("rsa_sha256_signer", "s1", "'" + rsaPkcs8.privateKey() + "'",
                "agent_user_identifier = 'news@mail.example.com', expiration = 3600, body_length = true,"
                        + " reporting = true, atps = 'esp.example', atpsh = 'Sha256',");
        String field = signer.sign(bytes(MESSAGE), now).replace("\r\n\t", " ");
        assertThat(field).contains("i=news@mail.example.com;", "t=" + now.getEpochSecond() + ";",
                "x=" + (now.getEpochSecond() + 3600) + ";", "r=y;", "atps=esp.example;", "atpsh=sha256;");
        // l= is the length of the relaxed body: "Dear Bob,\r\n\r\n a line with spaces\r\n.leading dot\r\n" (11 + 2 + 21 + 14)
        assertThat(field).contains("l=48;");
        assertVerifies(signer.sign(bytes(MESSAGE), now) + MESSAGE,
                Map.of("s1._domainkey.example.com", rsaPkcs8.txtRecord()));
    }

    @Test
    void theSameParametersGiveTheSameSignerAndAChangedKeyFileIsReadAfterTheTtl() throws Exception {
        Path keyFile = dir.resolve("rotating.pem");
        Files.copy(rsaPkcs8.privateKey(), keyFile);
        AtomicLong nanos = new AtomicLong();
        DkimModule module = new DkimModule(nanos::get);
        Map<String, Object> params = new LinkedHashMap<>(Map.of("domain", "example.com", "selector", "s1",
                "headers", List.of("From", "Subject"), "key", keyFile.toString(), "ttl", "1 min"));
        DkimSigner first = module.signer(DkimSigner.Algorithm.RSA_SHA256, params, "f");
        assertThat(module.signer(DkimSigner.Algorithm.RSA_SHA256, new LinkedHashMap<>(params), "f")).isSameAs(first);
        Map<String, Object> other = new LinkedHashMap<>(params);
        other.put("selector", "s2");
        assertThat(module.signer(DkimSigner.Algorithm.RSA_SHA256, other, "f")).isNotSameAs(first);

        Files.copy(rsaPkcs1.privateKey(), keyFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        nanos.addAndGet(59_000_000_000L);
        String withOldKey = module.signer(DkimSigner.Algorithm.RSA_SHA256, params, "f").sign(bytes(MESSAGE), Instant.now());
        assertVerifies(withOldKey + MESSAGE, Map.of("s1._domainkey.example.com", rsaPkcs8.txtRecord()));
        nanos.addAndGet(2_000_000_000L);
        DkimSigner renewed = module.signer(DkimSigner.Algorithm.RSA_SHA256, params, "f");
        assertThat(renewed).isNotSameAs(first);
        String withNewKey = renewed.sign(bytes(MESSAGE), Instant.now());
        assertVerifies(withNewKey + MESSAGE, Map.of("s1._domainkey.example.com", rsaPkcs1.txtRecord()));
    }

    @Test
    void theCachesHoldAtMostTheirCapacity() {
        AtomicLong nanos = new AtomicLong();
        TtlCache<Integer, Integer> cache = new TtlCache<>(3, nanos::get);
        for (int i = 0; i < 10; i++) {
            int v = i;
            cache.get(i, java.time.Duration.ofMinutes(5), () -> v);
        }
        assertThat(cache.size()).isEqualTo(3);
        assertThat(cache.get(9, java.time.Duration.ofMinutes(5), () -> -1)).isEqualTo(9);
        assertThat(cache.get(0, java.time.Duration.ofMinutes(5), () -> -1)).isEqualTo(-1); // evicted
    }

    @Test
    void badParametersFailAtTheCallWithFileAndLine() throws Exception {
        String key = "'" + rsaPkcs8.privateKey() + "'";
        assertThat(error("kumo.dkim.rsa_sha256_signer { domain = 'example.com', selector = 's', headers = {'To'}, key = " + key + " }"))
                .contains("policy.lua:2:").contains("headers must include From");
        assertThat(error("kumo.dkim.rsa_sha256_signer { domain = 'example.com', selector = 's', headers = {'From'},"
                + " key = " + key + ", body_canonicalization = 'relaxed' }"))
                .contains("policy.lua:2:").contains("body_canonicalization must be \"Relaxed\" or \"Simple\"");
        assertThat(error("kumo.dkim.rsa_sha256_signer { domain = 'example.com', selector = 's', headers = {'From'},"
                + " key = '/nonexistent/k.pem' }"))
                .contains("policy.lua:2:").contains("cannot read key file /nonexistent/k.pem: no such file");
        assertThat(error("kumo.dkim.ed25519_signer { domain = 'example.com', selector = 's', headers = {'From'}, key = " + key + " }"))
                .contains("policy.lua:2:").contains("not an Ed25519 private key");
        assertThat(error("kumo.dkim.rsa_sha256_signer { domain = 'example.com', selector = 's', headers = {'From'},"
                + " key = " + key + ", over_sing = true }"))
                .contains("policy.lua:2:").contains("unknown key 'over_sing'");
        assertThat(error("kumo.dkim.rsa_sha256_signer { domain = 'example.com', selector = 's', headers = {'From'},"
                + " key = " + key + ", agent_user_identifier = 'a@other.example' }"))
                .contains("policy.lua:2:").contains("agent_user_identifier 'a@other.example' must be");
    }

    private String error(String call) throws Exception {
        try (Policy policy = LuaSnippets.load(dir, "kumo.on('test', function()", "  return " + call, "end)")) {
            assertThatThrownBy(() -> policy.call("test")).isInstanceOf(PolicyException.class);
            try {
                policy.call("test");
            } catch (PolicyException e) {
                return e.getMessage();
            }
        }
        throw new AssertionError("unreachable");
    }

    /** A signer made in Lua, as a policy makes it, for {@code example.com} with the usual headers. */
    private DkimSigner luaSigner(String function, String selector, String key, String extra) throws Exception {
        try (Policy policy = LuaSnippets.load(dir,
                "kumo.on('test', function()",
                "  return kumo.dkim." + function + " {",
                "    domain = 'Example.COM', selector = '" + selector + "',",
                "    headers = {'From', 'To', 'Subject', 'Date', 'Message-ID', 'Cc'},",
                "    key = " + key + ", " + extra,
                "  }",
                "end)")) {
            Object signer = policy.call("test");
            assertThat(signer).isInstanceOf(DkimSigner.class);
            return (DkimSigner) signer;
        }
    }

    private static void assertVerifies(String message, Map<String, String> dns) {
        ToolResult r = DkimVerifier.verify(bytes(message), dns);
        assertThat(r.ok()).as(r.describe()).isTrue();
    }

    private static void assertFails(String message, Map<String, String> dns) {
        ToolResult r = DkimVerifier.verify(bytes(message), dns);
        assertThat(r.exitCode()).as(r.describe()).isEqualTo(1);
        assertThat(r.stdout()).as(r.describe()).contains("fail");
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
