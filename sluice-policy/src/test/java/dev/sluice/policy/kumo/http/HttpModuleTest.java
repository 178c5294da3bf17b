package dev.sluice.policy.kumo.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.net.Tls;
import dev.sluice.net.http.HttpHandler;
import dev.sluice.net.http.HttpListenerConfig;
import dev.sluice.net.http.HttpResponse;
import dev.sluice.net.http.HttpServer;
import dev.sluice.policy.Policy;
import dev.sluice.policy.PolicyException;
import dev.sluice.policy.PolicyOptions;
import java.nio.file.Files;
import java.time.Duration;
import dev.sluice.policy.kumo.LuaSnippets;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** kumo.http.build_client against a real HTTP server (Netty, loopback, free port), plain and TLS. */
class HttpModuleTest {
    @TempDir
    Path dir;

    private HttpServer server;
    private HttpServer tlsServer;
    private final List<String> seen = new CopyOnWriteArrayList<>();
    private String base;
    private String tlsBase;

    @BeforeEach
    void start() throws Exception {
        server = new HttpServer(HttpListenerConfig.plain(new InetSocketAddress("127.0.0.1", 0)));
        routes(server);
        InetSocketAddress a = server.start();
        base = "http://127.0.0.1:" + a.getPort();
        tlsServer = new HttpServer(new HttpListenerConfig(new InetSocketAddress("127.0.0.1", 0), "localhost", true,
                Tls.selfSignedServerContext("localhost"), null, HttpListenerConfig.DEFAULT_REQUEST_BODY_LIMIT));
        routes(tlsServer);
        tlsBase = "https://127.0.0.1:" + tlsServer.start().getPort();
    }

    private void routes(HttpServer s) {
        s.get("/hello", HttpServer.Access.PUBLIC, r -> {
            seen.add("GET " + r.header("x-test") + " " + r.header("user-agent") + " " + r.peer().getPort());
            return new HttpResponse(200, "text/plain; charset=iso-8859-1", "h\u00e9llo".getBytes(StandardCharsets.ISO_8859_1));
        });
        s.route("POST", "/echo", HttpServer.Access.PUBLIC, HttpHandler.sync(r -> {
            seen.add("POST " + r.header("content-type") + " " + r.header("authorization") + " " + r.bodyAsString());
            return HttpResponse.json(201, "{\"got\":" + r.body().length + "}");
        }));
        s.route("PUT", "/fail", HttpServer.Access.PUBLIC, HttpHandler.sync(r -> HttpResponse.text(503, "busy")));
        s.route("GET", "/never", HttpServer.Access.PUBLIC, r -> new CompletableFuture<>());
    }

    @AfterEach
    void stop() {
        server.stop();
        tlsServer.stop();
    }

    private Object eval(String... lines) throws Exception {
        String[] all = new String[lines.length + 1];
        all[0] = "local BASE, TLS_BASE = '" + base + "', '" + tlsBase + "'";
        System.arraycopy(lines, 0, all, 1, lines.length);
        return LuaSnippets.eval(dir, all);
    }

    @Test
    void getWithHeadersReusesThePooledConnectionAcrossClients() throws Exception {
        Object result = eval(
                "kumo.on('test', function()",
                "  local out = {}",
                "  for i = 1, 2 do",
                "    local client = kumo.http.build_client { user_agent = 'sluice-test/1' }", // one per message, as custom_lua does
                "    local r = client:get(BASE .. '/hello'):header('X-Test', 'v' .. i):send()",
                "    client:close()",
                "    out[#out + 1] = r:status_code() .. ' ' .. r:status_reason() .. ' ' .. tostring(r:status_is_success())",
                "    out[#out + 1] = r:text() .. ' ' .. r:content_length() .. ' ' .. #r:bytes()",
                "    local h = r:headers()",
                "    out[#out + 1] = h['Content-Type'] .. '|' .. h['content-type']",
                "    local names = {}",
                "    for k, v in pairs(h) do names[#names + 1] = k end",
                "    table.sort(names)",
                "    out[#out + 1] = table.concat(names, ',')",
                "  end",
                "  return table.concat(out, '\\n')",
                "end)");
        assertThat(result).isEqualTo(String.join("\n",
                "200 OK true", "h\u00e9llo 5 5", "text/plain; charset=iso-8859-1|text/plain; charset=iso-8859-1",
                "content-length,content-type",
                "200 OK true", "h\u00e9llo 5 5", "text/plain; charset=iso-8859-1|text/plain; charset=iso-8859-1",
                "content-length,content-type"));
        assertThat(seen).hasSize(2);
        assertThat(seen.get(0)).startsWith("GET v1 sluice-test/1 ");
        assertThat(seen.get(1)).startsWith("GET v2 sluice-test/1 ");
        // the same client port both times: the keep-alive connection came back from the pool, to the next client
        assertThat(seen.get(0).substring(seen.get(0).lastIndexOf(' ')))
                .isEqualTo(seen.get(1).substring(seen.get(1).lastIndexOf(' ')));
    }

    @Test
    void postWithBodyBasicAuthFormAndStatusChecks() throws Exception {
        Object result = eval(
                "kumo.on('test', function()",
                "  local client = kumo.http.build_client {}",
                "  local r = client:post(BASE .. '/echo'):header('Content-Type', 'application/json')",
                "      :basic_auth('user', 'pa ss'):body('{\"a\":1}'):send()",
                "  local f = client:post(BASE .. '/echo'):bearer_auth('tok'):form_url_encoded { b = 'x y', a = '1&2' }:send()",
                "  local p = client:put(BASE .. '/fail'):body('z'):send()",
                "  return table.concat({ r:status_code(), r:status_reason(), r:text(), tostring(r:status_is_success()),",
                "    p:status_code(), tostring(p:status_is_server_error()), tostring(p:status_is_success()), p:text() }, ' ')",
                "end)");
        assertThat(result).isEqualTo("201 Created {\"got\":7} true 503 true false busy");
        assertThat(seen).containsExactly(
                "POST application/json Basic dXNlcjpwYSBzcw== {\"a\":1}",
                "POST application/x-www-form-urlencoded Bearer tok a=1%262&b=x+y");
    }

    @Test
    void aRequestPastItsTimeoutRaisesAnErrorNamingTheUrl() throws Exception {
        long start = System.nanoTime();
        assertThatThrownBy(() -> eval(
                "kumo.on('test', function()",
                "  return kumo.http.build_client({ timeout = '10 s' }):get(BASE .. '/never'):timeout('300ms'):send()",
                "end)"))
                .isInstanceOf(PolicyException.class)
                .hasMessageContaining("policy.lua:3: error sending request for url (" + base + "/never): operation timed out after 0.3 s");
        assertThat(System.nanoTime() - start).isLessThan(4_000_000_000L);
    }

    @Test
    void aRequestNeverOutlivesThePolicyCallThatMadeIt() throws Exception {
        Path file = dir.resolve("policy.lua");
        Files.writeString(file, String.join("\n",
                "kumo.on('test', function()",
                "  local ok, err = pcall(function()",
                "    return kumo.http.build_client({}):get('" + base + "/never'):send()", // client default: 60 s
                "  end)",
                "  return err",
                "end)"));
        try (Policy policy = Policy.load(new PolicyOptions(file, 1, List.of(), null, Duration.ofSeconds(1)))) {
            // the request gives up just before the call's 1 s limit: the handler sees the error and returns
            assertThat(policy.call("test")).asString()
                    .endsWith("error sending request for url (" + base + "/never): operation timed out at the policy call's time limit");
        }
    }

    @Test
    void aRefusedConnectionRaisesAnErrorNamingTheUrl() throws Exception {
        server.stop();
        assertThatThrownBy(() -> eval(
                "kumo.on('test', function() return kumo.http.build_client({}):get(BASE .. '/hello'):send() end)"))
                .isInstanceOf(PolicyException.class)
                .hasMessageContaining("error sending request for url (" + base + "/hello): cannot connect to 127.0.0.1:" + base.substring(base.lastIndexOf(':') + 1) + ": Connection refused");
    }

    @Test
    void httpsNeedsAcceptInvalidCertsForASelfSignedServer() throws Exception {
        Object result = eval(
                "kumo.on('test', function()",
                "  local r = kumo.http.build_client({ accept_invalid_certs = true }):get(TLS_BASE .. '/hello'):send()",
                "  return r:status_code() .. ' ' .. r:text()",
                "end)");
        assertThat(result).isEqualTo("200 h\u00e9llo");
        assertThatThrownBy(() -> eval(
                "kumo.on('test', function() return kumo.http.build_client({}):get(TLS_BASE .. '/hello'):send() end)"))
                .isInstanceOf(PolicyException.class)
                .hasMessageContaining("error sending request for url (" + tlsBase + "/hello): TLS handshake");
    }

    /** A python3 http.server that redirects: GET /moved → 302 /final, POST /post → 303 /final, /loop → itself. */
    private static final String REDIRECTING_SERVER = String.join("\n",
            "import http.server",
            "class H(http.server.BaseHTTPRequestHandler):",
            "    def answer(self, status, body=b'', location=None):",
            "        self.send_response(status)",
            "        if location: self.send_header('Location', location)",
            "        self.send_header('Content-Length', str(len(body)))",
            "        self.end_headers()",
            "        self.wfile.write(body)",
            "    def do_GET(self):",
            "        if self.path == '/moved': return self.answer(302, location='/final')",
            "        if self.path == '/loop': return self.answer(302, location='/loop')",
            "        auth = self.headers.get('Authorization', '-')",
            "        self.answer(200, ('GET ' + self.path + ' ' + auth).encode())",
            "    def do_POST(self):",
            "        self.rfile.read(int(self.headers.get('Content-Length', '0')))",
            "        self.answer(303, location='/final')",
            "    def log_message(self, *args): pass",
            "s = http.server.HTTPServer(('127.0.0.1', 0), H)",
            "print(s.server_port, flush=True)",
            "s.serve_forever()");

    @Test
    void redirectsAreFollowedAndA303TurnsAPostIntoAGet() throws Exception {
        Process python = new ProcessBuilder("python3", "-c", REDIRECTING_SERVER).redirectErrorStream(true).start();
        try {
            String port = new java.io.BufferedReader(new java.io.InputStreamReader(python.getInputStream())).readLine();
            String url = "http://127.0.0.1:" + port;
            Object result = eval(
                    "kumo.on('test', function()",
                    "  local client = kumo.http.build_client {}",
                    "  local get = client:get('" + url + "/moved'):bearer_auth('t'):send()",
                    "  local post = client:post('" + url + "/post'):body('x'):send()",
                    "  local ok, err = pcall(function() return client:get('" + url + "/loop'):send() end)",
                    "  return get:status_code() .. ' ' .. get:text() .. ' | ' .. post:text() .. ' | ' .. err",
                    "end)");
            assertThat(result).asString().startsWith("200 GET /final Bearer t | GET /final - | ")
                    .endsWith("error sending request for url (" + url + "/loop): too many redirects (10)");
        } finally {
            python.destroy();
            python.waitFor();
        }
    }

    @Test
    void badArgumentsAreErrorsAtTheCallersLine() throws Exception {
        assertThat(LuaSnippets.loadError(dir, "kumo.http.build_client { timeot = '1s' }"))
                .isEqualTo(dir.resolve("policy.lua") + ":1: kumo.http.build_client: unknown key 'timeot'");
        assertThat(LuaSnippets.loadError(dir, "local n = 0", "for k in pairs(kumo.http.build_client {}) do n = n + 1 end"))
                .isEqualTo(dir.resolve("policy.lua") + ":2: a HttpClient cannot be iterated with pairs()");
        assertThat(LuaSnippets.loadError(dir, "kumo.http.build_client {}:get('ftp://x/')"))
                .isEqualTo(dir.resolve("policy.lua") + ":1: client:get: invalid URL 'ftp://x/': the scheme must be http or https");
    }
}
