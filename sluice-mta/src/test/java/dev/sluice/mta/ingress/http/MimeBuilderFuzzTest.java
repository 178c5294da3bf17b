package dev.sluice.mta.ingress.http;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.sluice.mta.ingress.http.InjectRequest.Attachment;
import java.util.ArrayList;
import java.util.List;

/**
 * The MIME builder of the structured inject form ({@link MimeBuilder}) with fuzzed bodies and attachments of the
 * shapes {@link InjectRequestParser} lets through: see {@link MimeChecks} for what the result must satisfy
 * (CRLF only, lines within 998 octets, quoted-printable within 76, every leaf decoding to its input).
 */
class MimeBuilderFuzzTest {
    private static final String[] TYPES = {"application/pdf", "image/png", "text/plain; charset=utf-8",
            "application/octet-stream"};

    @FuzzTest(maxDuration = "4s")
    void mime(FuzzedDataProvider data) {
        String text = data.consumeBoolean() ? data.consumeString(3000) : null;
        String amp = data.consumeBoolean() ? data.consumeString(500) : null;
        String html = text == null || data.consumeBoolean() ? data.consumeString(3000) : null;
        List<Attachment> attachments = new ArrayList<>();
        int n = data.consumeInt(0, 3);
        for (int i = 0; i < n; i++) {
            String type = TYPES[data.consumeInt(0, TYPES.length - 1)];
            String fileName = data.consumeBoolean() ? data.consumeString(100).replace("\r", "").replace("\n", "") : null;
            String contentId = data.consumeBoolean() ? data.consumeAsciiString(40).replaceAll("[^!-~]|[<>]", "x") : null;
            if (contentId != null && contentId.isEmpty()) {
                contentId = "cid";
            }
            attachments.add(new Attachment(data.consumeBytes(400), type, fileName, contentId));
        }
        MimeBuilder.Part part = MimeBuilder.build(text, amp, html, attachments);
        MimeChecks.check(part, text, amp, html, attachments);
    }
}
