package dev.sluice.mta.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BounceClassifierTest {
    @TempDir
    Path dir;

    private Path file(String name, String text) throws Exception {
        Path f = dir.resolve(name);
        Files.writeString(f, text);
        return f;
    }

    @Test
    void firstMatchingRuleWinsInFileThenCategoryOrder() throws Exception {
        BounceClassifier c = BounceClassifier.load(List.of(
                file("a.toml", """
                        # comments and trailing commas as in KumoMTA's files
                        [rules]
                        InvalidRecipient = [
                          "^(550|551) 5\\\\.1\\\\.1 ", # no such user
                        ]
                        MyOwnLabel = ["^550 ", "mailbox busy"]
                        """),
                file("b.json", """
                        {"rules": {"QuotaIssues": ["^4\\\\d\\\\d 4\\\\.2\\\\.2 ", "mailbox busy"]}}
                        """)));
        assertThat(c.size()).isEqualTo(5);
        assertThat(c.classify(Response.of(550, "5.1.1", "no such user", "RCPT TO"))).isEqualTo("InvalidRecipient");
        assertThat(c.classify(Response.of(550, "5.7.1", "go away", "RCPT TO"))).isEqualTo("MyOwnLabel");
        assertThat(c.classify(Response.of(452, "4.2.2", "over quota", "RCPT TO"))).isEqualTo("QuotaIssues");
        assertThat(c.classify(Response.of(451, "4.2.1", "mailbox busy", "RCPT TO"))).isEqualTo("MyOwnLabel");
        assertThat(c.classify(Response.of(421, null, "later", null))).isEqualTo("Uncategorized");
        // a multi-line reply is matched as one line, line breaks as spaces
        assertThat(BounceClassifier.singleLine(Response.of(550, "5.1.1", "first\nsecond", "RCPT TO")))
                .isEqualTo("550 5.1.1 first second");
    }

    @Test
    void onlyFailureRecordTypesAreClassified() throws Exception {
        BounceClassifier c = BounceClassifier.load(List.of(file("r.toml", "[rules]\nEverything = ['.']\n")));
        LogRecord delivery = LogRecord.builder(RecordType.Delivery, Instant.now()).response(250, "2.0.0", "ok", ".").build();
        LogRecord bounce = LogRecord.builder(RecordType.Bounce, Instant.now()).response(550, "5.0.0", "no", ".").build();
        assertThat(c.apply(delivery).bounceClassification()).isEqualTo("Uncategorized");
        assertThat(c.apply(bounce).bounceClassification()).isEqualTo("Everything");
        assertThat(c.apply(bounce).toBuilder().bounceClassification(null).build()).isEqualTo(bounce);
    }

    @Test
    void badFilesNameTheFileAndTheReason() throws Exception {
        Path badRegex = file("bad.toml", "[rules]\nX = ['(unclosed']\n");
        assertThatThrownBy(() -> BounceClassifier.load(List.of(badRegex)))
                .hasMessageContaining("bad.toml").hasMessageContaining("rules.X").hasMessageContaining("(unclosed");
        Path noRules = file("norules.toml", "[other]\nX = ['a']\n");
        assertThatThrownBy(() -> BounceClassifier.load(List.of(noRules))).hasMessageContaining("norules.toml")
                .hasMessageContaining("[rules]");
        Path yaml = file("rules.yaml", "rules: {}\n");
        assertThatThrownBy(() -> BounceClassifier.load(List.of(yaml))).hasMessageContaining(".toml or .json");
        assertThatThrownBy(() -> BounceClassifier.load(List.of(dir.resolve("missing.toml"))))
                .hasMessageContaining("missing.toml");
    }
}
