package dev.sluice.policy.kumo.digest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.sluice.policy.ConfigException;
import dev.sluice.policy.KeySource;
import dev.sluice.policy.LuaBytes;
import dev.sluice.policy.LuaModule;
import dev.sluice.policy.kumo.serde.LuaData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;
import java.util.zip.CRC32;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * {@code kumo.digest.<algorithm>(...)}: sha1, sha224, sha256, sha384, sha512, sha512_256, sha3_256,
 * sha3_384, sha3_512 and crc32 (big-endian) over all the arguments in turn (strings as their bytes,
 * anything else as its compact JSON text); {@code hmac_sha1/224/256/384/512(KEY, MSG)} with KEY a
 * key source (a file path or {@code {key_data = '...'}}). Each returns a {@link BinaryResult}.
 */
public final class DigestModule implements LuaModule {
    private static final JsonMapper JSON = new JsonMapper();
    private static final Map<String, String> DIGESTS = Map.of(
            "sha1", "SHA-1", "sha224", "SHA-224", "sha256", "SHA-256", "sha384", "SHA-384", "sha512", "SHA-512",
            "sha512_256", "SHA-512/256", "sha3_256", "SHA3-256", "sha3_384", "SHA3-384", "sha3_512", "SHA3-512");
    private static final Map<String, String> HMACS = Map.of(
            "hmac_sha1", "HmacSHA1", "hmac_sha224", "HmacSHA224", "hmac_sha256", "HmacSHA256",
            "hmac_sha384", "HmacSHA384", "hmac_sha512", "HmacSHA512");

    @Override
    public void install(Registrar r) {
        DIGESTS.forEach((name, algorithm) -> r.function("kumo.digest", name, args -> {
            MessageDigest digest = MessageDigest.getInstance(algorithm);
            for (Object arg : args) {
                digest.update(bytesOf(arg));
            }
            return new BinaryResult(digest.digest());
        }));
        r.function("kumo.digest", "crc32", args -> {
            CRC32 crc = new CRC32();
            for (Object arg : args) {
                crc.update(bytesOf(arg));
            }
            return new BinaryResult(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
        });
        HMACS.forEach((name, algorithm) -> r.function("kumo.digest", name, args -> {
            if (args.size() != 2) {
                throw new ConfigException("kumo.digest." + name + ": expected (KEY, MSG), got " + args.size() + " arguments");
            }
            byte[] key = key(args.getFirst(), name);
            Mac mac = Mac.getInstance(algorithm);
            // The JCE refuses an empty key; HMAC pads a key with zeros, so one zero byte is the same key.
            mac.init(new SecretKeySpec(key.length == 0 ? new byte[1] : key, algorithm));
            return new BinaryResult(mac.doFinal(bytesOf(args.get(1))));
        }));
    }

    private static byte[] key(Object source, String function) throws IOException {
        if (source instanceof Map<?, ?> m && m.get("key_data") instanceof LuaBytes b) {
            return b.bytes();
        }
        try {
            return KeySource.from(source).load();
        } catch (ConfigException e) {
            throw new ConfigException("kumo.digest." + function + ": " + e.getMessage());
        }
    }

    private static byte[] bytesOf(Object arg) throws JsonProcessingException {
        return switch (arg) {
            case String s -> s.getBytes(StandardCharsets.UTF_8);
            case LuaBytes b -> b.bytes();
            default -> JSON.writeValueAsBytes(LuaData.toTree(arg));
        };
    }
}
