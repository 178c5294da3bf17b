package dev.sluice.policy.kumo.encode;

import dev.sluice.policy.ConfigException;
import java.io.ByteArrayOutputStream;
import java.util.Base64;
import java.util.HexFormat;

/** The encodings of {@code kumo.encode} and of digest results (RFC 4648 base32/base32hex/base64/base64url, lowercase hex). */
public enum Codecs {
    BASE32("base32", true), BASE32_NOPAD("base32_nopad", false),
    BASE32HEX("base32hex", true), BASE32HEX_NOPAD("base32hex_nopad", false),
    BASE64("base64", true), BASE64_NOPAD("base64_nopad", false),
    BASE64URL("base64url", true), BASE64URL_NOPAD("base64url_nopad", false),
    HEX("hex", false);

    private static final String B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    private static final String B32HEX = "0123456789ABCDEFGHIJKLMNOPQRSTUV";

    /** The name in {@code kumo.encode.<name>_encode} and in a BinaryResult's fields. */
    public final String luaName;
    private final boolean padded;

    Codecs(String luaName, boolean padded) {
        this.luaName = luaName;
        this.padded = padded;
    }

    public String encode(byte[] data) {
        return switch (this) {
            case BASE32, BASE32_NOPAD -> base32(data, B32, padded);
            case BASE32HEX, BASE32HEX_NOPAD -> base32(data, B32HEX, padded);
            case BASE64 -> Base64.getEncoder().encodeToString(data);
            case BASE64_NOPAD -> Base64.getEncoder().withoutPadding().encodeToString(data);
            case BASE64URL -> Base64.getUrlEncoder().encodeToString(data);
            case BASE64URL_NOPAD -> Base64.getUrlEncoder().withoutPadding().encodeToString(data);
            case HEX -> HexFormat.of().formatHex(data);
        };
    }

    /** @throws ConfigException naming the encoding when {@code text} is not valid for it */
    public byte[] decode(String text) {
        try {
            if (!padded && this != HEX && text.indexOf('=') >= 0) {
                throw new IllegalArgumentException("padding '=' is not allowed in " + luaName);
            }
            return switch (this) {
                case BASE32, BASE32_NOPAD -> unbase32(text, B32, padded);
                case BASE32HEX, BASE32HEX_NOPAD -> unbase32(text, B32HEX, padded);
                case BASE64, BASE64_NOPAD -> Base64.getDecoder().decode(text);
                case BASE64URL, BASE64URL_NOPAD -> Base64.getUrlDecoder().decode(text);
                case HEX -> HexFormat.of().parseHex(text);
            };
        } catch (IllegalArgumentException e) {
            throw new ConfigException("kumo.encode." + luaName + "_decode: invalid " + luaName + " input: " + e.getMessage());
        }
    }

    private static String base32(byte[] data, String alphabet, boolean pad) {
        StringBuilder out = new StringBuilder((data.length + 4) / 5 * 8);
        int buffer = 0;
        int bits = 0;
        for (byte b : data) {
            buffer = (buffer << 8) | (b & 0xff);
            bits += 8;
            while (bits >= 5) {
                out.append(alphabet.charAt((buffer >> (bits - 5)) & 31));
                bits -= 5;
            }
        }
        if (bits > 0) {
            out.append(alphabet.charAt((buffer << (5 - bits)) & 31));
        }
        while (pad && out.length() % 8 != 0) {
            out.append('=');
        }
        return out.toString();
    }

    private static byte[] unbase32(String text, String alphabet, boolean padded) {
        String body = text;
        if (padded) {
            if (text.length() % 8 != 0) {
                throw new IllegalArgumentException("length " + text.length() + " is not a multiple of 8");
            }
            int end = text.length();
            while (end > 0 && text.charAt(end - 1) == '=') {
                end--;
            }
            body = text.substring(0, end);
        }
        int rem = body.length() % 8;
        if (rem == 1 || rem == 3 || rem == 6) {
            throw new IllegalArgumentException("invalid length");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int buffer = 0;
        int bits = 0;
        for (int i = 0; i < body.length(); i++) {
            int v = alphabet.indexOf(body.charAt(i));
            if (v < 0) {
                throw new IllegalArgumentException("invalid symbol '" + body.charAt(i) + "' at position " + i);
            }
            buffer = (buffer << 5) | v;
            bits += 5;
            if (bits >= 8) {
                out.write((buffer >> (bits - 8)) & 0xff);
                bits -= 8;
            }
        }
        return out.toByteArray();
    }
}
