package dev.sluice.mta.ingress.http;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import java.util.Map;
import java.util.stream.Collectors;

/** Applies a request's template dialect to one field (subject, a body, a header value, raw content). */
sealed interface Templates {

    /**
     * Fails when the template itself is malformed, whoever it is rendered for: the request gets 422 then.
     *
     * @param field the JSON path, for the message
     */
    void check(String field, String template) throws InjectRequestException;

    /** Renders for one recipient; a failure only fails that recipient. */
    String render(String field, String template, Map<String, Object> variables, boolean html)
            throws GenerationFailure;

    static Templates of(TemplateDialect dialect) {
        return switch (dialect) {
            case JINJA -> Jinja.INSTANCE;
            case STATIC -> Static.INSTANCE;
        };
    }

    /** {@code Static}: the text as written. */
    enum Static implements Templates {
        INSTANCE;

        @Override
        public void check(String field, String template) {}

        @Override
        public String render(String field, String template, Map<String, Object> variables, boolean html) {
            return template;
        }
    }

    /**
     * {@code Jinja} through Jinjava. Undefined variables render empty (as MiniJinja's default does); HTML bodies
     * are auto-escaped, as KumoMTA does for html_body.
     */
    final class Jinja implements Templates {
        static final Jinja INSTANCE = new Jinja();

        /** Bounds what one template can produce, so a loop in a template cannot exhaust memory. */
        private static final long MAX_OUTPUT = 64L * 1024 * 1024;

        // Jinjava is thread-safe and costly to create: one for the process, created on first use.
        private static final class Holder {
            static final Jinjava JINJAVA = new Jinjava(JinjavaConfig.newBuilder()
                    .withMaxOutputSize(MAX_OUTPUT)
                    .withFailOnUnknownTokens(false)
                    .build());
        }

        private Jinja() {}

        /** Creates the engine now rather than on the first request (it takes a moment). */
        static void warmUp() {
            Holder.JINJAVA.render("{{ x }}", Map.of("x", ""));
        }

        @Override
        public void check(String field, String template) throws InjectRequestException {
            RenderResult result = Holder.JINJAVA.renderForResult(template, Map.of());
            String syntax = result.getErrors().stream()
                    // Only syntax: other errors may depend on the variables, which differ per recipient.
                    .filter(e -> e.getReason() == TemplateError.ErrorReason.SYNTAX_ERROR)
                    .map(Jinja::describe)
                    .collect(Collectors.joining("; "));
            if (!syntax.isEmpty()) {
                throw InjectRequestException.unprocessable(field + ": template error: " + syntax);
            }
        }

        @Override
        public String render(String field, String template, Map<String, Object> variables, boolean html)
                throws GenerationFailure {
            // Wrapping keeps line numbers: no newline is added.
            String source = html ? "{% autoescape %}" + template + "{% endautoescape %}" : template;
            RenderResult result = Holder.JINJAVA.renderForResult(source, variables);
            String fatal = result.getErrors().stream()
                    .filter(e -> e.getSeverity() == TemplateError.ErrorType.FATAL)
                    .map(Jinja::describe)
                    .collect(Collectors.joining("; "));
            if (!fatal.isEmpty()) {
                throw new GenerationFailure(field + ": template error: " + fatal);
            }
            return result.getOutput();
        }

        private static String describe(TemplateError e) {
            return "line " + e.getLineno() + ": " + e.getMessage();
        }
    }
}
