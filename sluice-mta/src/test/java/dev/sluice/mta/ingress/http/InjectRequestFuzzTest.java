package dev.sluice.mta.ingress.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.sluice.mta.ingress.http.InjectRequest.Structured;

/**
 * The HTTP inject body parser ({@link InjectRequestParser}) with fuzzed JSON: it returns a request or throws an
 * {@link InjectRequestException} with status 400 or 422 and a message, nothing else. A parsed request has
 * recipients with valid addresses, a valid or null sender, header names without colons or controls, attachment
 * content types and file names without line breaks; a structured one builds a MIME body that passes
 * {@link MimeChecks}.
 */
class InjectRequestFuzzTest {

    @FuzzTest(maxDuration = "4s")
    @DictionaryEntries({"\"envelope_sender\":", "\"recipients\":[{\"email\":", "\"a@b.test\"", "\"name\":",
            "\"substitutions\":{", "\"metadata\":", "\"template_dialect\":\"Static\"", "\"content\":{",
            "\"text_body\":", "\"html_body\":", "\"amp_html_body\":", "\"subject\":", "\"from\":", "\"reply_to\":",
            "\"headers\":{", "\"attachments\":[{\"data\":", "\"content_type\":\"image/png\"", "\"base64\":true",
            "\"file_name\":", "\"content_id\":", "\"trace_headers\":{", "\"header_name\":", "\"include_meta_names\":[",
            "\"received_header\":true", "\"deferred_spool\":false", "null", "\\u00e9", "\\r\\n"})
    void injectBody(byte[] body) {
        if (body.length > 8192) {
            return;
        }
        InjectRequest request;
        try {
            request = InjectRequestParser.parse(body);
        } catch (InjectRequestException e) {
            assertThat(e.status()).isIn(400, 422);
            assertThat(e.getMessage()).isNotBlank();
            return;
        }
        assertThat(request.recipients()).isNotEmpty();
        request.recipients().forEach(r -> assertThat(Syntax.isEmail(r.email())).isTrue());
        assertThat(request.envelopeSender().isEmpty() || Syntax.isEmail(request.envelopeSender())).isTrue();
        if (request.content() instanceof Structured s) {
            s.headers().keySet().forEach(name -> assertThat(Syntax.isHeaderName(name)).isTrue());
            s.attachments().forEach(a -> {
                assertThat(a.contentType()).doesNotContain("\r", "\n");
                if (a.fileName() != null) {
                    assertThat(a.fileName()).doesNotContain("\r", "\n");
                }
            });
            MimeBuilder.Part part = MimeBuilder.build(s.textBody(), s.ampHtmlBody(), s.htmlBody(), s.attachments());
            MimeChecks.check(part, s.textBody(), s.ampHtmlBody(), s.htmlBody(), s.attachments());
        }
    }
}
