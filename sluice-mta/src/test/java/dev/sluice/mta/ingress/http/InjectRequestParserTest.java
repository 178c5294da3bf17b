package dev.sluice.mta.ingress.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class InjectRequestParserTest {

    private static byte[] withAttachmentType(String type) {
        return ("{\"envelope_sender\":\"a@b.test\",\"recipients\":[{\"email\":\"c@d.test\"}],\"content\":{"
                + "\"text_body\":\"hi\",\"attachments\":[{\"data\":\"x\",\"content_type\":\"" + type + "\"}]}}")
                .getBytes(StandardCharsets.UTF_8);
    }

    /** Found by InjectRequestFuzzTest: a multipart attachment was built as base64, which no MIME reader can read. */
    @Test
    void multipartAttachmentIsRefused() {
        assertThatThrownBy(() -> InjectRequestParser.parse(withAttachmentType("Multipart/mixed; boundary=x")))
                .isInstanceOfSatisfying(InjectRequestException.class, e -> assertThat(e.status()).isEqualTo(422))
                .hasMessageContaining("content.attachments[0].content_type: a multipart type cannot be an attachment");
    }

    @Test
    void otherAttachmentTypesStillPass() throws Exception {
        assertThat(InjectRequestParser.parse(withAttachmentType("message/rfc822")).recipients()).hasSize(1);
    }
}
