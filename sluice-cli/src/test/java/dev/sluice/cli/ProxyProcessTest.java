package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.sluice.testkit.CommandPeer;
import dev.sluice.testkit.CommandTool;
import dev.sluice.testkit.Peers;
import dev.sluice.testkit.SluiceProcess;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code bin/sluice proxy} as a process, driven by real clients (curl) as an operator would. */
class ProxyProcessTest {

    @RegisterExtension
    final Peers peers = new Peers();

    @TempDir
    Path dir;

    private CommandPeer web;

    @BeforeEach
    void startWebServer() throws IOException {
        Path www = Files.createDirectories(dir.resolve("www"));
        Files.writeString(www.resolve("hello.txt"), "hello through sluice\n");
        web = peers.add(CommandPeer.builder("http.server", port -> List.of(
                        "/usr/bin/python3", "-m", "http.server", "--bind", "127.0.0.1", "--directory", www.toString(),
                        Integer.toString(port)))
                .start());
    }

    private String url() {
        return "http://" + web.hostPort() + "/hello.txt";
    }

    private static String hostPort(InetSocketAddress a) {
        String host = a.getAddress().getHostAddress();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    @Test
    void legacyListenersRelayCurlOverIpv4AndIpv6() {
        // the web server is on this host, which the proxy refuses unless told otherwise
        var proxy = peers.add(SluiceProcess.start("proxy", "--listen", "127.0.0.1:0", "--listen", "[::1]:0",
                "--allow-destination", "127.0.0.0/8"));
        var v4 = proxy.awaitLine("proxy listener on 127\\.0\\.0\\.1:\\d+", Duration.ofSeconds(5));
        var v6 = proxy.awaitLine("proxy listener on \\[::1\\]:\\d+", Duration.ofSeconds(5));

        for (String line : List.of(v4, v6)) {
            String listener = line.substring(line.indexOf(" on ") + 4).trim();
            var r = CommandTool.CURL.run("-sS", "--max-time", "10", "--socks5", listener, url());
            assertThat(r.exitCode()).as(r.describe()).isZero();
            assertThat(r.stdout()).isEqualTo("hello through sluice\n");
        }
    }

    @Test
    void luaConfigAuthenticatesThroughThePolicyAndServesStatusAndMetrics() throws IOException {
        Path config = dir.resolve("proxy.lua");
        Files.writeString(config, """
                local proxy = require 'proxy'
                kumo.on('proxy_init', function()
                  proxy.start_proxy_listener { listen = '127.0.0.1:0', require_auth = true, timeout = '5 seconds',
                                               allowed_destinations = { '127.0.0.0/8' } }
                  proxy.start_http_listener { listen = '127.0.0.1:0' }
                end)
                kumo.on('proxy_server_auth_rfc1929', function(user, password, conn_meta)
                  return user == 'alice' and password == os.getenv('ALICE_PASSWORD')
                end)
                """);
        var proxy = peers.add(SluiceProcess.builder()
                .args("proxy", "--proxy-config", config.toString())
                .env("ALICE_PASSWORD", "s3cret")
                .start());
        String socks = hostPort(proxy.proxyListener());

        var good = CommandTool.CURL.run("-sS", "--max-time", "10", "--socks5", "alice:s3cret@" + socks, url());
        assertThat(good.exitCode()).as(good.describe()).isZero();
        assertThat(good.stdout()).isEqualTo("hello through sluice\n");

        var wrong = CommandTool.CURL.run("-sS", "--max-time", "10", "--socks5", "alice:nope@" + socks, url());
        assertThat(wrong.exitCode()).as(wrong.describe()).isEqualTo(97); // curl: SOCKS5 authentication failed

        var none = CommandTool.CURL.run("-sS", "--max-time", "10", "--socks5", socks, url());
        assertThat(none.exitCode()).as(none.describe()).isEqualTo(97);
        assertThat(none.stderr()).contains("No authentication method was acceptable");

        String http = "http://" + hostPort(proxy.httpListener());
        var status = CommandTool.CURL.run("-sS", "--max-time", "10", http + "/proxy/status");
        assertThat(status.stdout()).isEqualTo("KumoProxy OK");

        var metrics = CommandTool.CURL.run("-sS", "--max-time", "10", http + "/metrics");
        String listener = "listener=\"" + socks + "\"";
        assertThat(metrics.stdout())
                .containsPattern("proxy_connections_accepted_total\\{" + listener + "} 3(\\.0)?\\n")
                .containsPattern("proxy_connections_failed_total\\{" + listener + "} 2(\\.0)?\\n")
                .containsPattern("proxy_outbound_connections_total\\{destination=\"" + web.hostPort() + "\","
                        + listener + "} 1(\\.0)?\\n")
                .containsPattern("lua_count \\d");
    }

    @Test
    void badConfigIsReportedAsFileLineReasonWithExitCode2() throws IOException {
        Path config = dir.resolve("typo.lua");
        Files.writeString(config, """
                local proxy = require 'proxy'
                kumo.on('proxy_init', function()
                  proxy.start_proxy_listener { lisen = '127.0.0.1:0' }
                end)
                """);
        var r = SluiceCommand.run("proxy", "--proxy-config", config.toString());
        assertThat(r.exitCode()).as(r.describe()).isEqualTo(2);
        assertThat(r.stderr()).contains(config + ":3: start_proxy_listener: unknown key 'lisen'");
        assertThat(r.stderr()).doesNotContain("proxy listener on");
    }

    @Test
    void syntaxErrorIsReportedAsFileLine() throws IOException {
        Path config = dir.resolve("syntax.lua");
        Files.writeString(config, "kumo.on('proxy_init', function()\n  local x = = 1\nend)\n");
        var r = SluiceCommand.run("proxy", "--proxy-config", config.toString());
        assertThat(r.exitCode()).as(r.describe()).isEqualTo(2);
        assertThat(r.stderr()).contains(config + ":2: unexpected symbol near '='");
    }

    @Test
    void sigtermStopsAcceptingLetsTheRelayFinishAndExitsZero() throws Exception {
        try (var echo = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            Thread.ofVirtual().start(() -> echoOnce(echo));
            var proxy = peers.add(SluiceProcess.start("proxy", "--listen", "127.0.0.1:0", "--allow-destination", "127.0.0.0/8"));
            InetSocketAddress socks = proxy.proxyListener();

            try (Socket client = new Socket(socks.getAddress(), socks.getPort())) {
                client.setSoTimeout(10_000);
                var in = new DataInputStream(client.getInputStream());
                OutputStream out = client.getOutputStream();
                out.write(new byte[] {5, 1, 0});
                assertThat(in.readNBytes(2)).containsExactly(5, 0);
                int port = echo.getLocalPort();
                out.write(new byte[] {5, 1, 0, 1, 127, 0, 0, 1, (byte) (port >> 8), (byte) port});
                assertThat(in.readNBytes(10)[1]).as("CONNECT reply code").isZero();

                proxy.terminate();
                proxy.awaitLine("listeners closed", Duration.ofSeconds(10)); // not the first line: it comes before
                assertThatThrownBy(() -> new Socket(socks.getAddress(), socks.getPort()).close())
                        .isInstanceOf(ConnectException.class);

                out.write("still here\n".getBytes(StandardCharsets.US_ASCII));
                assertThat(new String(in.readNBytes(11), StandardCharsets.US_ASCII)).isEqualTo("still here\n");
                assertThat(proxy.isAlive()).as("relay still running").isTrue();
            }
            assertThat(proxy.awaitExit(Duration.ofSeconds(20))).as(proxy.describe()).isZero();
        }
    }

    /** A proxy beside other services on this host must not be a way into them (issue 9, item 6). */
    @Test
    void defaultProxyRefusesConnectToThisHostsOwnServices() {
        var proxy = peers.add(SluiceProcess.start("proxy", "--listen", "127.0.0.1:0"));
        String socks = hostPort(proxy.proxyListener());

        var r = CommandTool.CURL.run("-sS", "--max-time", "10", "--socks5", socks, url());
        assertThat(r.exitCode()).as(r.describe()).isEqualTo(97); // curl: proxy handshake error
        assertThat(r.stdout()).doesNotContain("hello through sluice");
        proxy.awaitLine("outcome=refused\\(0x02\\): CONNECT " + java.util.regex.Pattern.quote(web.hostPort())
                + " not allowed by the default destination rule: 127\\.0\\.0\\.1 is loopback", Duration.ofSeconds(5));
    }

    @Test
    void badAllowDestinationIsAUsageError() {
        var r = SluiceCommand.run("proxy", "--listen", "127.0.0.1:0", "--allow-destination", "127.0.0.0/33");
        assertThat(r.exitCode()).as(r.describe()).isEqualTo(2);
        assertThat(r.stderr()).contains("--allow-destination").contains("127.0.0.0/33");
    }

    /**
     * curl with -U offers "no authentication" and username/password; a proxy with nothing to check a password must
     * choose "no authentication" instead of asking and then refusing every credential (issue 9, item 7).
     */
    @Test
    void curlOfferingCredentialsToAProxyWithoutAuthConnects() {
        var proxy = peers.add(SluiceProcess.start("proxy", "--listen", "127.0.0.1:0", "--allow-destination", "127.0.0.0/8"));
        String socks = hostPort(proxy.proxyListener());

        var r = CommandTool.CURL.run("-sS", "--max-time", "10", "--socks5", socks, "-U", "user:pass", url());
        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(r.stdout()).isEqualTo("hello through sluice\n");
    }

    @Test
    void requireAuthWithoutAnAuthHandlerIsAConfigErrorAtStart() throws IOException {
        Path config = dir.resolve("noauth.lua");
        Files.writeString(config, """
                local proxy = require 'proxy'
                kumo.on('proxy_init', function()
                  proxy.start_proxy_listener { listen = '127.0.0.1:0', require_auth = true }
                end)
                """);
        var r = SluiceCommand.run("proxy", "--proxy-config", config.toString());
        assertThat(r.exitCode()).as(r.describe()).isEqualTo(2);
        assertThat(r.stderr()).contains(config + ":3: start_proxy_listener: require_auth = true, but there is no "
                + "kumo.on('proxy_server_auth_rfc1929', ...) handler");
        assertThat(r.stderr()).doesNotContain("proxy listener on");
    }

    /**
     * A client that sends half a greeting and closes is released at once (no CLOSE-WAIT socket left until the 60 s
     * step timeout), logged as closed by the client; and neither it nor a client that stays silent holds SIGTERM up
     * for the 30 s drain (issue 9, item 8).
     */
    @Test
    void clientsStuckInTheHandshakeDoNotHoldTheProxyOrItsShutdown() throws Exception {
        var proxy = peers.add(SluiceProcess.start("proxy", "--listen", "127.0.0.1:0"));
        InetSocketAddress socks = proxy.proxyListener();
        try (Socket closing = new Socket(socks.getAddress(), socks.getPort());
                Socket silent = new Socket(socks.getAddress(), socks.getPort())) {
            closing.getOutputStream().write(new byte[] {5, 2, 0}); // claims two methods, sends one
            closing.shutdownOutput();
            proxy.awaitLine("client=127\\.0\\.0\\.1:" + closing.getLocalPort() + " .*outcome=closed by client during the greeting",
                    Duration.ofSeconds(5));
            await().atMost(Duration.ofSeconds(5)).until(() -> closeWaitSockets(socks.getPort()).isEmpty());

            long t0 = System.nanoTime();
            proxy.terminate();
            assertThat(proxy.awaitExit(Duration.ofSeconds(10))).as(proxy.describe()).isZero();
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
            assertThat(silent.getInputStream().read()).as("the silent client was closed").isEqualTo(-1);
        }
    }

    /** `ss` lines for TCP sockets in CLOSE-WAIT whose local port is {@code port}. */
    private static List<String> closeWaitSockets(int port) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("ss", "-Htn", "state", "close-wait", "( sport = :" + port + " )")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        return out.lines().filter(l -> !l.isBlank()).toList();
    }

    private static void echoOnce(ServerSocket server) {
        try (Socket s = server.accept()) {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            in.transferTo(out);
        } catch (IOException ignored) {
            // the test fails on its own side if the echo never happened
        }
    }
}
