package dev.sluice.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * dnsmasq as an authoritative-only test DNS server with no upstream:
 * {@code dnsmasq -k -C /dev/null --no-resolv --no-hosts --listen-address=ADDR --bind-interfaces --port=P ...}.
 */
public final class Dnsmasq extends Peer {
    private Dnsmasq(PeerSpec spec) {
        super(spec);
    }

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder extends PeerBuilder<Builder> {
        private final List<String> records = new ArrayList<>();

        /** {@code --mx-host=DOMAIN,HOST,PREF}. */
        public Builder mx(String domain, String host, int preference) {
            records.add("--mx-host=" + domain + "," + host + "," + preference);
            return this;
        }

        /** {@code --host-record=NAME,ADDR[,ADDR...]} (A and/or AAAA). */
        public Builder hostRecord(String name, String... addresses) {
            records.add("--host-record=" + name + "," + String.join(",", addresses));
            return this;
        }

        /** Any other dnsmasq option, e.g. "--txt-record=example.test,v=spf1 -all". */
        public Builder option(String option) {
            records.add(option);
            return this;
        }

        @Override
        protected int resolvePort() {
            if (port != 0) return port;
            return namespace == null ? FreePorts.tcpAndUdp(host) : FreePorts.tcpAndUdp("127.0.0.1");
        }

        public Dnsmasq start() {
            int p = resolvePort();
            String base = PeerLogs.uniqueName("dnsmasq");
            List<String> cmd = new ArrayList<>(List.of("dnsmasq", "-k", "-C", "/dev/null", "--no-resolv",
                    "--no-hosts", "--no-poll", "--listen-address=" + host, "--bind-interfaces", "--port=" + p,
                    "--pid-file=" + PeerLogs.dir().resolve(base + ".pid"), "--log-queries", "--log-facility=-"));
            cmd.addAll(records);
            // dnsmasq also listens on TCP, so the connect probe works for it
            return new Dnsmasq(new PeerSpec("dnsmasq", cmd, host, p, namespace, Map.of(), null,
                    Readiness.portOpen(), startTimeout));
        }
    }
}
