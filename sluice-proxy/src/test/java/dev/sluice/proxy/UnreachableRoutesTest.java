package dev.sluice.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;

/**
 * 0x03 and 0x04 need a kernel that answers ENETUNREACH / EHOSTUNREACH. A fresh network namespace with only
 * loopback up has no route to 10.8.0.0/16 (ENETUNREACH) and an "unreachable" route for 10.9.0.0/16
 * (EHOSTUNREACH). Java cannot setns, so the proxy and a client run in a child JVM under {@code ip netns exec}.
 */
@EnabledIf("canCreateNamespaces")
class UnreachableRoutesTest {
    final String ns = "sluice-proxy-t" + ProcessHandle.current().pid();

    static boolean canCreateNamespaces() {
        return Files.isExecutable(Path.of("/usr/sbin/ip")) || Files.isExecutable(Path.of("/sbin/ip"))
                ? "root".equals(System.getProperty("user.name")) : false;
    }

    static void run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed: " + out);
        }
    }

    @BeforeEach
    void createNamespace() throws Exception {
        run("ip", "netns", "add", ns);
        run("ip", "-n", ns, "link", "set", "lo", "up");
        run("ip", "-n", ns, "route", "add", "unreachable", "10.9.0.0/16");
    }

    @AfterEach
    void deleteNamespace() throws Exception {
        run("ip", "netns", "delete", ns);
    }

    @Test
    void networkUnreachableIs03AndHostUnreachableIs04() throws Exception {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns,
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"),
                NetnsProbeMain.class.getName(), "10.8.0.1", "10.9.0.1"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
            assertThat(out).as(out).contains("REPLY 10.8.0.1 3").contains("REPLY 10.9.0.1 4");
        } finally {
            p.destroyForcibly();
        }
    }
}
