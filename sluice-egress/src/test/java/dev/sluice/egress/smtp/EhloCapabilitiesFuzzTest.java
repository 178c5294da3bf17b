package dev.sluice.egress.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The EHLO reply as the client reads it: {@link SmtpResponse#of} (enhanced code, text) and
 * {@link EhloCapabilities#parse}. For any reply lines: no exception; every keyword is non-empty, upper case,
 * without SP (RFC 5321 separates parameters by SP; other white space stays in a malformed keyword) and found
 * by {@code has}; parameters carry no surrounding white space; a SIZE limit is
 * positive; an enhanced code is only taken when its class matches the reply code, and the text no longer starts
 * with it.
 */
class EhloCapabilitiesFuzzTest {

    @FuzzTest(maxDuration = "4s")
    void ehloReply(FuzzedDataProvider data) {
        int code = data.consumeInt(200, 599);
        int n = data.consumeInt(1, 40);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < n && data.remainingBytes() > 0; i++) {
            lines.add(data.consumeString(200).replace("\n", "").replace("\r", ""));
        }
        if (lines.isEmpty()) {
            lines.add("");
        }
        SmtpResponse response = SmtpResponse.of(new SmtpReply(code, lines), "EHLO client.test");
        if (response.enhanced() != null) {
            assertThat(response.enhanced().klass()).isEqualTo(code / 100);
            assertThat(response.content()).as("the enhanced code is taken off the text")
                    .doesNotStartWith(response.enhanced().toString() + " ");
        }
        assertThat(response.content().split("\n", -1)).hasSize(lines.size());

        EhloCapabilities caps = EhloCapabilities.parse(response);
        assertThat(caps.esmtp()).isTrue();
        caps.extensions().forEach((keyword, params) -> {
            assertThat(keyword).isNotEmpty().isEqualTo(keyword.toUpperCase(Locale.ROOT));
            assertThat(keyword).as("RFC 5321 separates keyword and parameters by SP").doesNotContain(" ");
            assertThat(params).isEqualTo(params.strip());
            assertThat(caps.has(keyword)).isTrue();
            if (keyword.chars().allMatch(c -> c < 128)) { // case-insensitive lookup (Unicode case maps need not round-trip)
                assertThat(caps.has(keyword.toLowerCase(Locale.ROOT))).isTrue();
            }
        });
        caps.sizeLimit().ifPresent(limit -> assertThat(limit).isPositive());
        caps.pipelining();
        caps.startTls();
        caps.smtpUtf8();
    }
}
