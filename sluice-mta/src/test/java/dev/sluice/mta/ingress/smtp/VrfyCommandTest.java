package dev.sluice.mta.ingress.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class VrfyCommandTest {

    /** Found by SmtpSessionFuzzTest: VRFY echoed a bare CR and control bytes of its argument into the reply. */
    @Test
    void refusedArgumentIsEchoedPrintableOnly() {
        SmtpSession session = new SmtpSession("t", null, EsmtpParams.defaults("mx.test"), null, null);
        SmtpReply reply = new SimpleCommands.Vrfy().onCommand(session, "VRFY", "a@b@\r\u0002c" + "x".repeat(200))
                .toCompletableFuture().join();
        String wire = new String(reply.encode(), StandardCharsets.UTF_8);

        assertThat(reply.code()).isEqualTo(501);
        assertThat(wire).endsWith("\r\n");
        assertThat(wire.substring(0, wire.length() - 2)).matches("[\\x20-\\x7e]*").hasSizeLessThan(120);
    }
}
