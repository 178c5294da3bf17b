package dev.sluice.policy.kumo.string;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.policy.kumo.LuaSnippets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TemplateTest {
    @TempDir
    Path dir;

    private static String render(String name, String source, Map<String, Object> context) {
        return Template.render(name, source, context);
    }

    @Test
    void variablesAttributesFiltersAndArithmetic() {
        Map<String, Object> ctx = Map.of("user", Map.of("name", "bob", "tags", List.of("a", "b", "c")), "n", 2L,
                "ratio", 1.5);
        assertThat(render("t.txt", "Hi {{ user.name | upper }}! {{ missing }}{{ n + 1 }} {{ n * ratio }} {{ 7 // n }}"
                + " {{ user.tags | join(', ') }} {{ user.tags | length }} {{ user.tags[0] ~ user['name'] }}"
                + " {{ nothing | default('none given') }} {{ 'a-b' | replace('-', '+') }} {{ user.tags | last }}"
                + " {{ 'x' if n > 1 else 'y' }} {{ 'mixed Case' | title }} {{ [1, 2] }} {{ user.tags | tojson }}", ctx))
                .isEqualTo("Hi BOB! 3 3.0 3 a, b, c 3 abob none given a+b c x Mixed Case [1, 2] [\"a\",\"b\",\"c\"]");
    }

    @Test
    void loopsConditionsAndWhitespaceControl() {
        Map<String, Object> ctx = Map.of("items", List.of("x", "y", "z"), "empty", List.of(),
                "rec", new java.util.LinkedHashMap<>(Map.of("k", "v")));
        assertThat(render("t.txt", """
                {% for i in items -%}
                  {{ loop.index }}={{ i }}{% if not loop.last %},{% endif %}
                {%- endfor %}
                {% for i in empty %}never{% else %}no items{% endfor %}
                {% for k, v in rec | items %}{{ k }}:{{ v }}{% endfor %}
                {% if items | length > 5 %}big{% elif 'y' in items %}has y{% else %}other{% endif %}
                {% set total = items | length %}{{ total }} item{{ total | pluralize }}, 1 item{{ 1 | pluralize }}
                {# a comment #}{{ 1536 | filesizeformat }} {{ 1536 | filesizeformat(true) }}
                """, ctx))
                .isEqualTo("1=x,2=y,3=z\nno items\nk:v\nhas y\n3 items, 1 item\n1.5 kB 1.5 KiB");
    }

    @Test
    void escapingFollowsTheTemplateName() {
        Map<String, Object> ctx = Map.of("s", "<b>\"hi\"</b>", "name", "John", "rec", Map.of("n", 1L));
        assertThat(render("page.html", "{{ s }}|{{ s | safe }}", ctx))
                .isEqualTo("&lt;b&gt;&quot;hi&quot;&lt;&#x2f;b&gt;|<b>\"hi\"</b>");
        assertThat(render("example.json", "{{ name }} {{ rec }} {{ rec.n }}", ctx)).isEqualTo("\"John\" {\"n\":1} 1");
        assertThat(render("plain.txt", "{{ s }}", ctx)).isEqualTo("<b>\"hi\"</b>");
    }

    @Test
    void errorsNameTheTemplateAndLine() {
        assertThatThrownBy(() -> render("t.txt", "line 1\n{{ x | nope }}", Map.of()))
                .hasMessage("template t.txt line 2: unknown filter 'nope'");
        assertThatThrownBy(() -> render("t.txt", "{% if x %}open", Map.of()))
                .hasMessage("template t.txt line 1: unexpected end of template: expected {% endif %}");
        assertThatThrownBy(() -> render("t.txt", "{{ a b }}", Map.of()))
                .hasMessage("template t.txt line 1: syntax error: unexpected 'b'");
        assertThatThrownBy(() -> render("t.txt", "{% macro m() %}{% endmacro %}", Map.of()))
                .hasMessage("template t.txt line 1: unknown statement 'macro' (Sluice supports if, for and set)");
    }

    @Test
    void evalTemplateFromLuaWithDialects() throws Exception {
        Object result = LuaSnippets.eval(dir,
                "kumo.on('test', function()",
                "  local record = kumo.json_parse '{\"type\": \"Delivery\", \"size\": 1047, \"bogus\": null}'",
                "  return {",
                "    json = kumo.string.eval_template('example.json', '{{name}}', { name = 'John' }),",
                "    log = kumo.string.eval_template('log.json', [[{",
                "{%- for key, value in log_record | dictsort | reject('none') -%}",
                "{{key}}: {{value}}{%- if not loop.last %}, {% endif %}",
                "{%- endfor -%}",
                "}]], { log_record = record }),",
                "    static = kumo.string.eval_template('s.txt', '{{ not expanded }}', {}, 'Static'),",
                "    bad = select(2, pcall(kumo.string.eval_template, 'h.txt', '{{x}}', {}, 'Handlebars')),",
                "  }",
                "end)");
        assertThat(result).isEqualTo(Map.of(
                "json", "\"John\"",
                "log", "{\"size\": 1047, \"type\": \"Delivery\"}",
                "static", "{{ not expanded }}",
                "bad", "kumo.string.eval_template: dialect 'Handlebars' is not supported by Sluice (Jinja and Static are)"));
    }

    @Test
    void normalizeSmtpResponseTokenizesThePerMessageParts() throws Exception {
        Object result = LuaSnippets.eval(dir,
                "kumo.on('test', function()",
                "  return kumo.string.normalize_smtp_response(",
                "    '451 4.7.0 [203.0.113.9] try again at 2026-01-02T03:04:05Z for <user@example.com>\\n'",
                "    .. 'queued as 5f0c2b7e-9d1a-4c3b-8e2f-0a1b2c3d4e5f ref=aB3dE5fG7hJ9kL1m (2001:db8::1)'",
                "    .. ' id 41be03b00d2f7-b93bf44f0c0si68827 token Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA== - gsmtp')",
                "end)");
        assertThat(result).isEqualTo("451 4.7.0 [{ipaddr}] try again at {timestamp} for <{email}>\n"
                + "queued as {uuid} ref={hash} ({ipaddr}) id {hash} token {base64} - gsmtp");
    }
}
