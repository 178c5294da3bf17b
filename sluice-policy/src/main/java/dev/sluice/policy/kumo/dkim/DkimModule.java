package dev.sluice.policy.kumo.dkim;

import dev.sluice.policy.ConfigException;
import dev.sluice.policy.ConfigSchema;
import dev.sluice.policy.ConfigTable;
import dev.sluice.policy.KeySource;
import dev.sluice.policy.LuaModule;
import dev.sluice.policy.kumo.LuaArgs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.security.PrivateKey;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * {@code kumo.dkim.rsa_sha256_signer{…}} and {@code kumo.dkim.ed25519_signer{…}}: KumoMTA's signer parameters
 * ({@code domain}, {@code selector}, {@code headers}, {@code over_sign}, {@code header_canonicalization},
 * {@code body_canonicalization}, {@code key}, {@code atps}, {@code atpsh}, {@code agent_user_identifier},
 * {@code expiration}, {@code body_length}, {@code reporting}, {@code ttl}), checked when the signer is made so that
 * a mistake reads {@code file:line: reason}.
 *
 * <p>Two caches shared by the policy's Lua states, as KumoMTA's {@code dkim_signer_cache} and
 * {@code dkim_key_cache}: signers by their whole parameter table, keys by their key source and algorithm; each
 * entry kept for the signer's {@code ttl} (default 300 s), at most {@value #CAPACITY} entries each, least recently
 * used evicted first. A changed key file is read again once its entry has expired.
 */
public final class DkimModule implements LuaModule {
    static final int CAPACITY = 1024;
    static final Duration DEFAULT_TTL = Duration.ofSeconds(300);

    private static final Set<String> KEYS = Set.of("domain", "selector", "headers", "atps", "atpsh",
            "agent_user_identifier", "expiration", "body_length", "reporting", "header_canonicalization",
            "body_canonicalization", "key", "over_sign", "ttl");

    /** The identity of a key source, for the caches: a path, or the inline data itself. */
    private record KeyId(DkimSigner.Algorithm algorithm, String path, String data) {}

    private record SignerId(DkimSigner.Params params, KeyId key, Duration ttl) {}

    private final TtlCache<SignerId, DkimSigner> signers;
    private final TtlCache<KeyId, PrivateKey> keys;

    public DkimModule() {
        this(System::nanoTime);
    }

    DkimModule(LongSupplier nanos) {
        this.signers = new TtlCache<>(CAPACITY, nanos);
        this.keys = new TtlCache<>(CAPACITY, nanos);
    }

    @Override
    public void install(Registrar r) {
        r.function("kumo.dkim", "rsa_sha256_signer", args -> signer(DkimSigner.Algorithm.RSA_SHA256,
                LuaArgs.get(args, 0), "kumo.dkim.rsa_sha256_signer"));
        r.function("kumo.dkim", "ed25519_signer", args -> signer(DkimSigner.Algorithm.ED25519_SHA256,
                LuaArgs.get(args, 0), "kumo.dkim.ed25519_signer"));
    }

    /** The signer for a parameter table (from the cache when the same table was given within its ttl). */
    DkimSigner signer(DkimSigner.Algorithm algorithm, Object table, String function) {
        if (table == null) {
            throw new ConfigException(function + ": argument #1 must be a table of signer parameters, got nil");
        }
        ConfigTable t = ConfigTable.of(ConfigSchema.of(function, KEYS, Set.of()), table);
        DkimSigner.Params params = params(algorithm, t, function);
        KeySource source = t.keySource("key").orElseThrow(() -> new ConfigException(function + ": missing required key 'key'"));
        KeyId keyId = switch (source) {
            case KeySource.File f -> new KeyId(algorithm, f.path().toString(), null);
            case KeySource.Inline i -> new KeyId(algorithm, null, new String(i.load(), StandardCharsets.ISO_8859_1));
        };
        Duration ttl = t.duration("ttl", DEFAULT_TTL);
        return signers.get(new SignerId(params, keyId, ttl), ttl,
                () -> new DkimSigner(params, keys.get(keyId, ttl, () -> loadKey(algorithm, source, function))));
    }

    private static PrivateKey loadKey(DkimSigner.Algorithm algorithm, KeySource source, String function) {
        String where = source instanceof KeySource.File f ? "key file " + f.path() : "key_data";
        byte[] data;
        try {
            data = source.load();
        } catch (NoSuchFileException e) {
            throw new ConfigException(function + ": cannot read " + where + ": no such file");
        } catch (IOException e) {
            throw new ConfigException(function + ": cannot read " + where + ": " + e.getMessage());
        }
        try {
            return DkimKeys.load(algorithm, data);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(function + ": " + where + ": " + e.getMessage());
        }
    }

    private static DkimSigner.Params params(DkimSigner.Algorithm algorithm, ConfigTable t, String function) {
        String domain = t.requireString("domain").toLowerCase(Locale.ROOT);
        String selector = t.requireString("selector");
        if (!t.has("headers")) {
            throw new ConfigException(function + ": missing required key 'headers'");
        }
        List<String> headers = t.stringList("headers", List.of());
        if (headers.stream().noneMatch(h -> h.equalsIgnoreCase("From"))) {
            throw new ConfigException(function + ": headers must include From (RFC 6376 5.4), got " + headers);
        }
        for (String h : headers) {
            if (h.isEmpty() || !h.chars().allMatch(c -> c > 32 && c < 127 && c != ':')) {
                throw new ConfigException(function + ": '" + h + "' in headers is not a header field name");
            }
        }
        checkTagValue(function, "domain", domain);
        checkTagValue(function, "selector", selector);
        Optional<String> atps = Optional.ofNullable(t.string("atps", null));
        atps.ifPresent(d -> checkTagValue(function, "atps", d));
        Optional<String> atpsh = Optional.ofNullable(t.string("atpsh", null)).map(h -> switch (h) {
            case "Sha1" -> "sha1";
            case "Sha256" -> "sha256";
            default -> throw new ConfigException(function + ": atpsh must be \"Sha1\" or \"Sha256\", got \"" + h + "\"");
        });
        if (atpsh.isPresent() && atps.isEmpty()) {
            throw new ConfigException(function + ": atpsh needs atps (RFC 6541)");
        }
        if (atps.isPresent() && atpsh.isEmpty()) {
            atpsh = Optional.of("sha256");
        }
        Optional<String> auid = Optional.ofNullable(t.string("agent_user_identifier", null));
        if (auid.isPresent()) {
            String i = auid.get();
            int at = i.lastIndexOf('@');
            String idomain = at < 0 ? "" : i.substring(at + 1).toLowerCase(Locale.ROOT);
            if (at < 0 || !(idomain.equals(domain) || idomain.endsWith("." + domain))) {
                throw new ConfigException(function + ": agent_user_identifier '" + i
                        + "' must be [local-part]@ the domain '" + domain + "' or a subdomain of it (RFC 6376 3.5 i=)");
            }
            checkTagValue(function, "agent_user_identifier", i);
        }
        Optional<Duration> expiration = t.has("expiration")
                ? Optional.of(Duration.ofSeconds(positive(t, "expiration", function))) : Optional.empty();
        return new DkimSigner.Params(algorithm, domain, selector, headers, t.bool("over_sign", false),
                canonicalization(t, "header_canonicalization", function), canonicalization(t, "body_canonicalization", function),
                atps, atpsh, auid, expiration, t.bool("body_length", false), t.bool("reporting", false));
    }

    private static long positive(ConfigTable t, String key, String function) {
        long v = t.integer(key, 0);
        if (v <= 0) {
            throw new ConfigException(function + ": " + key + " must be a positive number of seconds, got " + v);
        }
        return v;
    }

    private static Canonicalization canonicalization(ConfigTable t, String key, String function) {
        try {
            return Canonicalization.parse(t.string(key, "Relaxed"), key);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(function + ": " + e.getMessage());
        }
    }

    /** A tag value may not contain ';' (the tag separator) or control characters. */
    private static void checkTagValue(String function, String key, String value) {
        if (value.isEmpty() || !value.chars().allMatch(c -> c > 32 && c != ';' && c != 127)) {
            throw new ConfigException(function + ": " + key + " '" + value + "' is not a valid DKIM tag value");
        }
    }
}
