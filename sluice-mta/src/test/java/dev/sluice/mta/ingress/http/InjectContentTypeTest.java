package dev.sluice.mta.ingress.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.mta.ingress.Admission;
import dev.sluice.net.http.HttpHandler;
import dev.sluice.net.http.HttpRequest;
import dev.sluice.net.http.HttpResponse;
import dev.sluice.testkit.CommandTool;
import dev.sluice.testkit.ToolResult;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The inject API takes only {@code application/json}: the body types a browser page may send without a CORS
 * preflight (text/plain, forms, none at all) get 415 before anything is parsed, so a page on a trusted host cannot
 * post mail.
 */
class InjectContentTypeTest {
    private static final String BODY = "{\"envelope_sender\": \"a@example.com\", \"content\": \"Subject: hi\\r\\n\\r\\nhi\","
            + " \"recipients\": [{\"email\": \"b@example.net\"}]}";

    @TempDir
    Path dir;

    private final RecordingInjector injector = new RecordingInjector();
    private IngressFixture fixture;

    @AfterEach
    void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    /** curl with the given extra arguments, the JSON body from a file; returns "status body". */
    private String curl(String... args) throws Exception {
        if (fixture == null) {
            fixture = new IngressFixture(injector, Admission.ALWAYS, dir);
        }
        Path file = dir.resolve("body.json");
        Files.writeString(file, BODY);
        List<String> argv = new ArrayList<>(List.of("-sS", "-X", "POST", "-w", "\n%{http_code}"));
        argv.addAll(List.of(args));
        argv.add(fixture.url(HttpIngress.INJECT_PATH));
        ToolResult r = CommandTool.CURL.run(argv.stream().map(a -> a.replace("@BODY", "@" + file)).toList());
        assertThat(r.ok()).as(r.describe()).isTrue();
        String out = r.stdout();
        int nl = out.lastIndexOf('\n');
        return out.substring(nl + 1).trim() + " " + out.substring(0, nl).strip();
    }

    @Test
    void text_plain_form_multipart_and_untyped_bodies_get_415_and_inject_nothing() throws Exception {
        assertThat(curl("-H", "Content-Type: text/plain", "--data-binary", "@BODY"))
                .isEqualTo("415 Content-Type must be application/json, got 'text/plain'");
        assertThat(curl("--data-binary", "@BODY")) // curl's default, as an HTML form posts
                .isEqualTo("415 Content-Type must be application/json, got 'application/x-www-form-urlencoded'");
        assertThat(curl("-F", "content=@BODY")).startsWith("415 Content-Type must be application/json, got "
                + "'multipart/form-data; boundary=");
        assertThat(curl("-H", "Content-Type:", "--data-binary", "@BODY"))
                .isEqualTo("415 Content-Type must be application/json, got none");
        assertThat(curl("-H", "Content-Type: application/json; charset=iso-8859-1", "--data-binary", "@BODY"))
                .startsWith("415 ");
        assertThat(curl("-H", "Content-Type: application/jsonp", "--data-binary", "@BODY")).startsWith("415 ");
        assertThat(injector.calls).isEmpty();
    }

    @Test
    void application_json_with_or_without_charset_is_injected() throws Exception {
        assertThat(curl("-H", "Content-Type: application/json", "--data-binary", "@BODY")).startsWith("200 ");
        assertThat(curl("-H", "Content-Type: Application/JSON; charset=\"UTF-8\"", "--data-binary", "@BODY"))
                .startsWith("200 ");
        assertThat(injector.calls).hasSize(2);
    }

    @ParameterizedTest
    @ValueSource(strings = {"application/json", "APPLICATION/JSON", "application/json; charset=utf-8",
            "application/json;charset=UTF-8", "application/json ; charset = \"utf-8\""})
    void json_types(String type) {
        assertThat(JsonOnly.isJson(type)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "text/plain", "text/plain; charset=utf-8", "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x", "application/json; charset=latin1", "application/json; foo=bar",
            "application/json;", "application/jsonx", "text/json", "application/*"})
    void other_types(String type) {
        assertThat(JsonOnly.isJson(type)).isFalse();
    }

    @Test
    void the_handler_behind_is_not_called_for_other_types() throws Exception {
        int[] called = {0};
        HttpHandler next = request -> {
            called[0]++;
            return CompletableFuture.completedFuture(HttpResponse.text(200, "ok"));
        };
        var gate = new JsonOnly(next);
        var peer = new InetSocketAddress("127.0.0.1", 1);
        var form = new HttpRequest("POST", HttpIngress.INJECT_PATH, Map.of(),
                Map.of("content-type", List.of("text/plain")), "{}".getBytes(), peer, true);
        assertThat(gate.handle(form).join().status()).isEqualTo(415);
        var untyped = new HttpRequest("POST", HttpIngress.INJECT_PATH, Map.of(), Map.of(), "{}".getBytes(), peer, true);
        assertThat(gate.handle(untyped).join().status()).isEqualTo(415);
        assertThat(called[0]).isZero();
        var json = new HttpRequest("POST", HttpIngress.INJECT_PATH, Map.of(),
                Map.of("content-type", List.of("application/json")), "{}".getBytes(), peer, true);
        assertThat(gate.handle(json).join().status()).isEqualTo(200);
        assertThat(called[0]).isEqualTo(1);
    }
}
