package dev.sluice.egress.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class EnvelopeTest {
    @Test
    void ofDetects8bitAndUtf8Needs() {
        Envelope ascii = Envelope.of("a@b", List.of("c@d"), "x\n".getBytes(StandardCharsets.US_ASCII));
        Envelope eight = Envelope.of("a@b", List.of("c@d"), "caf\u00e9\n".getBytes(StandardCharsets.UTF_8));
        Envelope utf8 = Envelope.of("a@b", List.of("\u00fc@d"), "x\n".getBytes(StandardCharsets.US_ASCII));

        assertThat(ascii.needs8bit()).isFalse();
        assertThat(ascii.needsSmtputf8()).isFalse();
        assertThat(eight.needs8bit()).isTrue();
        assertThat(eight.needsSmtputf8()).isFalse();
        assertThat(utf8.needsSmtputf8()).isTrue();
    }

    @Test
    void addressesCannotInjectCommands() {
        assertThatThrownBy(() -> Envelope.of("a@b", List.of("c@d>\r\nRCPT TO:<e@f"), new byte[0]))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void batchesShareTheMessage() {
        Envelope e = Envelope.of("a@b", List.of("1@x", "2@x", "3@x"), "m\n".getBytes(StandardCharsets.US_ASCII));
        List<Envelope> parts = e.batches(2);
        assertThat(parts).extracting(Envelope::recipients).containsExactly(List.of("1@x", "2@x"), List.of("3@x"));
        assertThat(parts).allSatisfy(p -> assertThat(p.message()).isSameAs(e.message()));
    }
}
