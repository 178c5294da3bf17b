package dev.sluice.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class DnsmasqTest {
    @RegisterExtension
    final Peers peers = new Peers();

    @AfterEach
    void nothingLeftRunning() throws Exception {
        peers.close();
        assertThat(Peers.livePids()).isEmpty();
    }

    @Test
    void answersMxQueriesWithTheGivenRecords() throws Exception {
        Dnsmasq dns = peers.add(Dnsmasq.builder()
                .mx("example.test", "mx1.example.test", 10)
                .mx("example.test", "mx2.example.test", 20)
                .hostRecord("mx1.example.test", "127.0.0.1", "::1")
                .start());

        var answers = DnsQuery.mx(dns.address(), "example.test");

        assertThat(answers).as(dns.describe()).containsExactlyInAnyOrder(
                new DnsQuery.Mx(10, "mx1.example.test"), new DnsQuery.Mx(20, "mx2.example.test"));
        assertThat(dns.logText()).contains("query[MX] example.test");
    }
}
