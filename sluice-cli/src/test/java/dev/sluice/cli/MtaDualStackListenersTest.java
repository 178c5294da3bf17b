package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.testkit.NetNamespace;
import dev.sluice.testkit.Peers;
import dev.sluice.testkit.SluiceProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * KumoMTA's example policy listens on both 0.0.0.0:25 and [::]:25. With {@code net.ipv6.bindv6only = 1} (in a
 * namespace of the test's own) the IPv6 listener is IPv6-only, as a plain socket would be, so both bind and each
 * takes its own family.
 */
class MtaDualStackListenersTest {
    @RegisterExtension
    final Peers peers = new Peers();

    @TempDir
    Path dir;

    @Test
    void anIpv4AndAnIpv6WildcardListenerOnOnePortBothBindWhenTheSystemBindsV6Only() throws IOException {
        NetNamespace ns = peers.add(NetNamespace.create());
        assertThat(ns.exec("sysctl", "-w", "net.ipv6.bindv6only=1").ok()).isTrue();
        Path policy = dir.resolve("policy.lua");
        Files.writeString(policy, """
                local kumo = require 'kumo'
                kumo.on('init', function()
                  kumo.define_spool { name = 'data', path = '%1$s/spool', flush = false }
                  kumo.configure_local_logs { log_dir = '%1$s/logs' }
                  kumo.start_esmtp_listener { listen = '0.0.0.0:2525', hostname = 'v4.example.test' }
                  kumo.start_esmtp_listener { listen = '[::]:2525', hostname = 'v6.example.test' }
                end)
                """.formatted(dir.toAbsolutePath()));
        SluiceProcess mta = peers.add(SluiceProcess.builder().namespace(ns).args("mta", "--policy", policy.toString())
                .workDir(dir).start());
        assertThat(mta.initialized()).isTrue();
        assertThat(ns.exec("sh", "-c", "printf 'QUIT\\r\\n' | nc -q 2 127.0.0.1 2525").stdout()).contains("v4.example.test");
        assertThat(ns.exec("sh", "-c", "printf 'QUIT\\r\\n' | nc -q 2 ::1 2525").stdout()).contains("v6.example.test");
    }
}
