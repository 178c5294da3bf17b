package dev.sluice.policy.kumo.dkim;

import dev.sluice.policy.LuaObject;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A signer made by {@code kumo.dkim.rsa_sha256_signer} or {@code kumo.dkim.ed25519_signer}: the parameters and
 * the private key, immutable and shared by every Lua state. {@link #sign} computes an RFC 6376 signature
 * (RFC 8463 for Ed25519: the SHA-256 of the signed data signed with PureEdDSA) and returns the
 * {@code DKIM-Signature} field to prepend. Lua sees an opaque object with no fields; {@code msg:dkim_sign(signer)}
 * uses it.
 */
public final class DkimSigner implements LuaObject {
    /** The signing algorithms: the name in the {@code a=} tag and the JCA signature algorithm. */
    public enum Algorithm {
        RSA_SHA256("rsa-sha256", "SHA256withRSA"),
        ED25519_SHA256("ed25519-sha256", "Ed25519");

        private final String tag;
        private final String jca;

        Algorithm(String tag, String jca) {
            this.tag = tag;
            this.jca = jca;
        }

        public String tag() {
            return tag;
        }
    }

    /**
     * What a signature says besides the key (the {@code kumo.dkim.*_signer} table minus {@code key} and {@code ttl}).
     *
     * @param headers    the field names to sign, as given
     * @param atps       RFC 6541 authorized third-party signer domain, or empty
     * @param atpsh      the {@code atpsh=} hash ({@code sha1}/{@code sha256}), present when atps is
     * @param auid       {@code i=}, or empty
     * @param expiration {@code x=} is the signing time plus this, or empty
     */
    public record Params(Algorithm algorithm, String domain, String selector, List<String> headers, boolean overSign,
                         Canonicalization headerCanonicalization, Canonicalization bodyCanonicalization,
                         Optional<String> atps, Optional<String> atpsh, Optional<String> auid,
                         Optional<Duration> expiration, boolean bodyLength, boolean reporting) {
        public Params {
            headers = List.copyOf(headers);
        }
    }

    private static final int LINE = 76;

    private final Params params;
    private final PrivateKey key;

    DkimSigner(Params params, PrivateKey key) {
        this.params = params;
        this.key = key;
    }

    public Params params() {
        return params;
    }

    @Override
    public String typeName() {
        return "DkimSigner";
    }

    @Override
    public String display() {
        return "DkimSigner(" + params.algorithm().tag() + ", d=" + params.domain() + ", s=" + params.selector() + ")";
    }

    @Override
    public Object index(Object key) {
        return null;
    }

    /**
     * The {@code DKIM-Signature} field for {@code message} signed at {@code now}: {@code "DKIM-Signature: v=1; …"},
     * folded with CRLF TAB, ending in CRLF. Bare LF line endings in {@code message} are signed as the CRLF they
     * become on the wire.
     */
    public String sign(byte[] message, Instant now) {
        int start = bodyStart(message);
        try {
            return sign(java.util.Arrays.copyOf(message, start),
                    new java.io.ByteArrayInputStream(message, start, message.length - start), now);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e); // not from a byte array
        }
    }

    /**
     * Where the body of the raw message {@code head} starts, if its header section ends within it: after the blank
     * line, or at the first line that is not a header field; {@code head.length} when it may go on past it.
     */
    public static int bodyStart(byte[] head) {
        return SignedMessage.bodyStart(head);
    }

    /**
     * As {@link #sign(byte[], Instant)} for a message given as its header section ({@code head}: the bytes before
     * {@link #bodyStart}) and its body, read as it comes: the body hash is computed in 64 KiB steps, so a large
     * message's body need not be on the heap.
     */
    public String sign(byte[] head, java.io.InputStream body, Instant now) throws java.io.IOException {
        SignedMessage m = SignedMessage.parse(head);
        BodyHash hash = new BodyHash(params.bodyCanonicalization()).update(body);
        byte[] bodyHash = hash.finish();
        List<String> names = effectiveHeaders(m);

        Map<String, String> tags = new LinkedHashMap<>();
        tags.put("v", "1");
        tags.put("a", params.algorithm().tag());
        tags.put("c", params.headerCanonicalization().tag() + "/" + params.bodyCanonicalization().tag());
        tags.put("d", params.domain());
        tags.put("s", params.selector());
        params.auid().ifPresent(i -> tags.put("i", i));
        tags.put("t", Long.toString(now.getEpochSecond()));
        params.expiration().ifPresent(x -> tags.put("x", Long.toString(now.plus(x).getEpochSecond())));
        if (params.bodyLength()) {
            tags.put("l", Long.toString(hash.length()));
        }
        if (params.reporting()) {
            tags.put("r", "y");
        }
        params.atps().ifPresent(d -> tags.put("atps", d));
        params.atpsh().ifPresent(h -> tags.put("atpsh", h));
        tags.put("h", String.join(":", names));
        tags.put("bh", Base64.getEncoder().encodeToString(bodyHash));

        String unsigned = fold(tags);
        String signature = Base64.getEncoder().encodeToString(signature(headerHashInput(m, names, unsigned)));
        return appendWrapped(unsigned, signature) + "\r\n";
    }

    /** The h= list: as configured, or with over_sign each name once more than the message has it. */
    private List<String> effectiveHeaders(SignedMessage m) {
        List<String> names = new ArrayList<>();
        if (!params.overSign()) {
            params.headers().forEach(h -> names.add(h.toLowerCase(Locale.ROOT)));
            return names;
        }
        List<String> distinct = params.headers().stream().map(h -> h.toLowerCase(Locale.ROOT)).distinct().toList();
        for (String name : distinct) {
            for (int i = m.count(name); i >= 0; i--) {
                names.add(name);
            }
        }
        return names;
    }

    /** RFC 6376 5.4.2: each listed name takes the next instance from the bottom; then the signature field itself. */
    private byte[] headerHashInput(SignedMessage m, List<String> names, String unsignedField) {
        StringBuilder input = new StringBuilder();
        Map<String, Integer> used = new java.util.HashMap<>();
        for (String name : names) {
            int skip = used.merge(name, 1, Integer::sum) - 1;
            List<String> fields = m.fields();
            for (int i = fields.size() - 1; i >= 0; i--) {
                if (SignedMessage.name(fields.get(i)).equalsIgnoreCase(name) && skip-- == 0) {
                    input.append(params.headerCanonicalization().header(fields.get(i)));
                    break;
                }
            }
        }
        String own = params.headerCanonicalization().header(unsignedField + "\r\n");
        input.append(own, 0, own.length() - 2); // without its CRLF (5.4.2)
        return input.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    private byte[] signature(byte[] headerInput) {
        try {
            Signature s = Signature.getInstance(params.algorithm().jca);
            s.initSign(key);
            s.update(params.algorithm() == Algorithm.ED25519_SHA256 ? sha256(headerInput) : headerInput);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("DKIM signing failed: " + e.getMessage(), e);
        }
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * {@code DKIM-Signature: tag=value; …; b=}, with a line break (CRLF TAB) instead of the space before a tag that
     * would pass 76 columns; a long h= list may also break after a colon.
     */
    private static String fold(Map<String, String> tags) {
        StringBuilder out = new StringBuilder("DKIM-Signature:");
        int column = out.length();
        for (Map.Entry<String, String> tag : tags.entrySet()) {
            String[] parts = tag.getKey().equals("h") ? tag.getValue().split("(?<=:)") : new String[] {tag.getValue()};
            parts[0] = tag.getKey() + "=" + parts[0];
            parts[parts.length - 1] += ";";
            for (int i = 0; i < parts.length; i++) {
                String separator = i == 0 ? " " : "";
                if (column + separator.length() + parts[i].length() > LINE && column > 1) {
                    out.append("\r\n\t");
                    column = 1;
                } else {
                    out.append(separator);
                    column += separator.length();
                }
                out.append(parts[i]);
                column += parts[i].length();
            }
        }
        if (column + 3 > LINE) {
            out.append("\r\n\t");
        } else {
            out.append(' ');
        }
        return out.append("b=").toString();
    }

    /** The b= value after {@code field}, broken into lines of at most 76 columns. */
    private static String appendWrapped(String field, String value) {
        StringBuilder out = new StringBuilder(field);
        int column = field.length() - field.lastIndexOf('\n') - 1;
        int pos = 0;
        while (pos < value.length()) {
            int room = LINE - column;
            if (room <= 0) {
                out.append("\r\n\t");
                column = 1;
                continue;
            }
            int end = Math.min(value.length(), pos + room);
            out.append(value, pos, end);
            column += end - pos;
            pos = end;
        }
        return out.toString();
    }
}
