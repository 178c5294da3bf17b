package dev.sluice.mta.log;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * KumoMTA's bounce classifier: rules files ({@code .toml} or {@code .json}) whose {@code rules} table maps a
 * category ({@code InvalidRecipient}, {@code QuotaIssues}, ... or a label of the user's own) to a list of
 * regular expressions. A response is written as one line, {@code "550 5.1.1 text"} (line breaks as spaces),
 * and gets the category of the first rule that matches it (files in the order given, then categories and
 * rules in file order), or {@value LogRecord#UNCATEGORIZED}.
 */
public final class BounceClassifier {
    /** No rules: records keep the classification they were built with. */
    public static final BounceClassifier NONE = new BounceClassifier(List.of());

    /** The record types KumoMTA classifies: those whose response came from (or stands for) the destination. */
    private static final Set<RecordType> CLASSIFIED = EnumSet.of(RecordType.Bounce, RecordType.TransientFailure,
            RecordType.Expiration, RecordType.AdminBounce, RecordType.OOB, RecordType.Feedback, RecordType.Rejection);

    /** One rule: the category it gives and its pattern. */
    record Rule(String category, Pattern pattern) {}

    private final List<Rule> rules;

    private BounceClassifier(List<Rule> rules) {
        this.rules = List.copyOf(rules);
    }

    /**
     * Reads and compiles the rules of {@code files}, in order.
     *
     * @throws IllegalArgumentException naming the file (and the category and rule) that cannot be used
     */
    public static BounceClassifier load(List<Path> files) {
        List<Rule> rules = new ArrayList<>();
        for (Path file : files) {
            String name = file.toString();
            ObjectMapper mapper;
            if (name.endsWith(".toml")) {
                mapper = new TomlMapper();
            } else if (name.endsWith(".json")) {
                mapper = new ObjectMapper();
            } else {
                throw new IllegalArgumentException(name + ": classifier files must end in .toml or .json");
            }
            JsonNode root;
            try {
                root = mapper.readTree(Files.readString(file));
            } catch (IOException e) {
                throw new IllegalArgumentException(name + ": " + firstLine(e.getMessage()), e);
            }
            JsonNode table = root == null ? null : root.get("rules");
            if (table == null || !table.isObject()) {
                throw new IllegalArgumentException(name + ": expected a [rules] table of category = [regex, ...]");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = table.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> category = it.next();
                if (!category.getValue().isArray()) {
                    throw new IllegalArgumentException(name + ": rules." + category.getKey() + " must be a list of regexes");
                }
                for (JsonNode regex : category.getValue()) {
                    if (!regex.isTextual()) {
                        throw new IllegalArgumentException(name + ": rules." + category.getKey() + " must be a list of regexes");
                    }
                    try {
                        rules.add(new Rule(category.getKey(), Pattern.compile(regex.asText())));
                    } catch (PatternSyntaxException e) {
                        throw new IllegalArgumentException(name + ": rules." + category.getKey() + ": bad regex '"
                                + regex.asText() + "': " + e.getDescription());
                    }
                }
            }
        }
        return new BounceClassifier(rules);
    }

    /** The category of {@code response}, or {@value LogRecord#UNCATEGORIZED}. */
    public String classify(Response response) {
        return classify(singleLine(response));
    }

    /** The category of a response already written as one line. */
    public String classify(String line) {
        for (Rule rule : rules) {
            if (rule.pattern().matcher(line).find()) {
                return rule.category();
            }
        }
        return LogRecord.UNCATEGORIZED;
    }

    /** {@code record} with its {@code bounce_classification} set, for the record types KumoMTA classifies. */
    public LogRecord apply(LogRecord record) {
        if (rules.isEmpty() || !CLASSIFIED.contains(record.type())) {
            return record;
        }
        return record.toBuilder().bounceClassification(classify(record.response())).build();
    }

    /** KumoMTA's one-line form: code, enhanced code when present, text with each line break as a space. */
    static String singleLine(Response response) {
        StringBuilder line = new StringBuilder().append(response.code()).append(' ');
        if (response.enhancedCode() != null) {
            line.append(response.enhancedCode()).append(' ');
        }
        return line.append(response.content().replace("\r\n", " ").replace('\r', ' ').replace('\n', ' ')).toString();
    }

    public int size() {
        return rules.size();
    }

    private static String firstLine(String message) {
        if (message == null) return "cannot read";
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
