package dev.sluice.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** microsocks SOCKS5 server: {@code microsocks -i ADDR -p PORT [-u USER -P PASS] [-b BINDADDR]}. */
public final class Microsocks extends Peer {
    private Microsocks(PeerSpec spec) {
        super(spec);
    }

    public static Builder builder() {
        return new Builder();
    }

    public static Microsocks start() {
        return builder().start();
    }

    public static final class Builder extends PeerBuilder<Builder> {
        private String user;
        private String password;
        private String bindAddress;

        /** Require username/password authentication. */
        public Builder credentials(String user, String password) {
            this.user = user;
            this.password = password;
            return this;
        }

        /** Source address for outgoing connections ({@code -b}). */
        public Builder bindAddress(String address) {
            this.bindAddress = address;
            return this;
        }

        public Microsocks start() {
            int p = resolvePort();
            List<String> cmd = new ArrayList<>(List.of("microsocks", "-i", host, "-p", Integer.toString(p)));
            if (user != null) cmd.addAll(List.of("-u", user, "-P", password));
            if (bindAddress != null) cmd.addAll(List.of("-b", bindAddress));
            return new Microsocks(new PeerSpec("microsocks", cmd, host, p, namespace, Map.of(), null,
                    Readiness.portOpen(), startTimeout));
        }
    }
}
