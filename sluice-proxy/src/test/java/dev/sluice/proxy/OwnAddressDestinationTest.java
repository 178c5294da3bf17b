package dev.sluice.proxy;

import static dev.sluice.proxy.UnreachableRoutesTest.run;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;

/**
 * An address of one of the proxy host's own interfaces (not loopback) is this host too: refused by default. In a
 * fresh namespace whose loopback also carries 10.77.0.1, so the host's real addresses do not matter and, should the
 * rule fail, no packet (not even to 169.254.169.254) can leave.
 */
@EnabledIf("dev.sluice.proxy.UnreachableRoutesTest#canCreateNamespaces")
class OwnAddressDestinationTest {
    final String ns = "sluice-proxy-d" + ProcessHandle.current().pid();

    @BeforeEach
    void createNamespace() throws Exception {
        run("ip", "netns", "add", ns);
        run("ip", "-n", ns, "link", "set", "lo", "up");
        run("ip", "-n", ns, "addr", "add", "10.77.0.1/32", "dev", "lo");
        run("ip", "-n", ns, "route", "add", "169.254.0.0/16", "dev", "lo"); // would be reachable, were it allowed
    }

    @AfterEach
    void deleteNamespace() throws Exception {
        run("ip", "netns", "delete", ns);
    }

    @Test
    void ownInterfaceAddressAndLinkLocalAreRefusedUnlessAllowed() throws Exception {
        Process p = new ProcessBuilder(List.of("ip", "netns", "exec", ns,
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"),
                NetnsDestinationProbeMain.class.getName(), "10.77.0.1", "169.254.169.254"))
                .redirectErrorStream(true).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
            assertThat(out).as(out)
                    .contains("DEFAULT 2 false")   // refused, and the server on 10.77.0.1 saw nothing
                    .contains("ALLOWED 0 true")    // allowed_destinations = { '10.77.0.1' }
                    .contains("REPLY 169.254.169.254 2")
                    .contains("10.77.0.1 is an address of this host");
        } finally {
            p.destroyForcibly();
        }
    }
}
