package dev.sluice.egress.connect;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class FailureSummaryTest {
    @Test
    void unplumbedSummaryIsKumoMtasTextByteForByte() throws Exception {
        var bind = new ConnectFailure.BindError("bind 9.9.9.9 for default failed: Cannot assign requested address (os error 99)"
                + " while attempting to connect to 127.0.0.1:2525 transport=127.0.0.1:2525 proto=None",
                InetAddress.getByName("9.9.9.9"), true).withContext("connect to 127.0.0.1:2525 and read initial banner");
        assertThat(FailureSummary.summarize(List.of(bind))).isEqualTo(
                "KumoMTA internal: failed to connect to any candidate hosts: All failures are related to having an unplumbed"
                        + " source address. Are the network interfaces provisioned correctly? connect to 127.0.0.1:2525 and read"
                        + " initial banner: bind 9.9.9.9 for default failed: Cannot assign requested address (os error 99) while"
                        + " attempting to connect to 127.0.0.1:2525 transport=127.0.0.1:2525 proto=None");
    }

    @Test
    void mixedClassesGetNoSummary() {
        var proxy = new ConnectFailure.ConnectError("failed to connect to 127.0.0.1:1", true);
        var other = new ConnectFailure.Other("SOCKS5 username/password was incorrect");
        assertThat(FailureSummary.summarize(List.of(proxy, other))).isEqualTo(FailureSummary.PREFIX
                + "failed to connect to 127.0.0.1:1, SOCKS5 username/password was incorrect");
        assertThat(FailureSummary.classify(List.of(proxy, proxy))).contains(FailureSummary.SummaryClass.ProxyConnect);
        assertThat(FailureSummary.classify(List.of(new ConnectFailure.ConnectError("x", false)))).isEmpty();
        assertThat(FailureSummary.summarize(List.of(new ConnectFailure.ProxyBindError("b")))).isEqualTo(FailureSummary.PREFIX
                + "All failures are related to the proxy server having an unplumbed source address. Are the network"
                + " interfaces provisioned correctly on the proxy? b");
    }
}
