package dev.sluice.policy.kumo.dkim;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.MessageDigest;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The streamed body hash equals the hash of the canonical body made at once, for any bytes fed in any pieces. */
class BodyHashTest {
    private static final byte[] ALPHABET = {'a', ' ', '\t', '\r', '\n', '.', 'x'};

    @Test
    void streamedHashEqualsTheWholeBodysHashForAnyInputAndChunking() throws Exception {
        Random random = new Random(7);
        for (int round = 0; round < 3000; round++) {
            byte[] raw = new byte[random.nextInt(40)];
            for (int i = 0; i < raw.length; i++) {
                raw[i] = ALPHABET[random.nextInt(ALPHABET.length)];
            }
            for (Canonicalization c : Canonicalization.values()) {
                byte[] canonical = c.body(SignedMessage.wireForm(raw));
                BodyHash hash = new BodyHash(c);
                for (int at = 0; at < raw.length; ) {
                    int n = Math.min(raw.length - at, 1 + random.nextInt(5));
                    hash.update(raw, at, n);
                    at += n;
                }
                assertThat(hash.finish()).as("%s of %s", c, java.util.Arrays.toString(raw))
                        .isEqualTo(MessageDigest.getInstance("SHA-256").digest(canonical));
                assertThat(hash.length()).isEqualTo(canonical.length);
            }
        }
    }

    @Test
    void theBodyStartsAfterTheBlankLineOrAtTheFirstLineThatIsNoField() {
        assertThat(SignedMessage.bodyStart("A: 1\r\n b\r\n\r\nbody".getBytes())).isEqualTo(12);
        assertThat(SignedMessage.bodyStart("A: 1\n\nbody".getBytes())).isEqualTo(6);
        assertThat(SignedMessage.bodyStart("A: 1\r\nnot a field\r\n".getBytes())).isEqualTo(6);
        assertThat(SignedMessage.bodyStart("A: 1".getBytes())).isEqualTo(4);
        assertThat(SignedMessage.bodyStart(" lead\r\n".getBytes())).isZero();
    }
}
