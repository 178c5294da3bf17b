package dev.sluice.policy.kumo.dkim;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Private keys for DKIM signing, read with the JDK's own key factories. RSA: PEM, either PKCS#1
 * ({@code BEGIN RSA PRIVATE KEY}, wrapped into PKCS#8 here) or PKCS#8 ({@code BEGIN PRIVATE KEY}), or the
 * same as DER. Ed25519: PKCS#8 as DER or PEM, version 1 (private key only) or version 2 (RFC 5958, with the
 * public key). Encrypted keys are refused.
 */
final class DkimKeys {
    private static final Pattern PEM = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----\\s*([A-Za-z0-9+/=\\s]*?)\\s*-----END \\1-----");
    /** DER of AlgorithmIdentifier { rsaEncryption, NULL }. */
    private static final byte[] RSA_ALGORITHM = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86,
            (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};

    private DkimKeys() {}

    static PrivateKey load(DkimSigner.Algorithm algorithm, byte[] data) {
        String text = new String(data, StandardCharsets.ISO_8859_1);
        Matcher pem = PEM.matcher(text);
        String label = null;
        byte[] der = data;
        if (pem.find()) {
            label = pem.group(1);
            try {
                der = Base64.getMimeDecoder().decode(pem.group(2));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("the PEM block '" + label + "' is not valid base64");
            }
        } else if (text.contains("-----BEGIN")) {
            throw new IllegalArgumentException("the key is not a well-formed PEM block");
        }
        if (label != null && label.contains("ENCRYPTED")) {
            throw new IllegalArgumentException("encrypted private keys are not supported");
        }
        if ("RSA PRIVATE KEY".equals(label)) {
            if (algorithm != DkimSigner.Algorithm.RSA_SHA256) {
                throw new IllegalArgumentException("expected an Ed25519 key in PKCS#8, got an RSA key");
            }
            der = pkcs8(RSA_ALGORITHM, der);
        } else if (label != null && !label.equals("PRIVATE KEY")) {
            throw new IllegalArgumentException("expected a private key, got a PEM block '" + label + "'");
        }
        PrivateKey key;
        try {
            key = KeyFactory.getInstance(algorithm == DkimSigner.Algorithm.RSA_SHA256 ? "RSA" : "Ed25519")
                    .generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new IllegalArgumentException("not " + (algorithm == DkimSigner.Algorithm.RSA_SHA256
                    ? "an RSA private key (PKCS#1 or PKCS#8, PEM or DER)"
                    : "an Ed25519 private key (PKCS#8, DER or PEM)")
                    + (label == null && isText(data) ? ": the text is not a PEM block" : "")
                    + " (" + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")");
        }
        if (key instanceof RSAPrivateKey rsa && rsa.getModulus().bitLength() < 1024) {
            throw new IllegalArgumentException("the RSA key has " + rsa.getModulus().bitLength()
                    + " bits; verifiers ignore signatures by keys under 1024 bits (RFC 8301)");
        }
        return key;
    }

    private static boolean isText(byte[] data) {
        for (byte b : data) {
            if (b < 0x09 || (b & 0x80) != 0) {
                return false;
            }
        }
        return true;
    }

    /** PrivateKeyInfo ::= SEQUENCE { version 0, algorithm, OCTET STRING privateKey }. */
    private static byte[] pkcs8(byte[] algorithm, byte[] privateKey) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(new byte[] {0x02, 0x01, 0x00});
        body.writeBytes(algorithm);
        body.writeBytes(tlv(0x04, privateKey));
        return tlv(0x30, body.toByteArray());
    }

    private static byte[] tlv(int tag, byte[] value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(value.length + 6);
        out.write(tag);
        int n = value.length;
        if (n < 0x80) {
            out.write(n);
        } else {
            int bytes = n > 0xffffff ? 4 : n > 0xffff ? 3 : n > 0xff ? 2 : 1;
            out.write(0x80 | bytes);
            for (int i = bytes - 1; i >= 0; i--) {
                out.write(n >>> (8 * i));
            }
        }
        out.writeBytes(value);
        return out.toByteArray();
    }
}
