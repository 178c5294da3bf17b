package dev.sluice.mta.ingress.smtp;

import dev.sluice.mta.ingress.Admission;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/** Starts ESMTP servers on 127.0.0.1:0 for a test and closes them afterwards. */
final class TestServers implements AutoCloseable {
    static final String HOST = "mx.sluice.test";
    final RecordingInjector injector = new RecordingInjector();
    private final List<EsmtpServer> servers = new ArrayList<>();
    RelayPolicy relayPolicy = RelayPolicy.DENY_ALL;
    Admission admission = Admission.ALWAYS;

    InetSocketAddress start(UnaryOperator<EsmtpParams> params) throws Exception {
        return start(EsmtpListenerConfig.of(new InetSocketAddress("127.0.0.1", 0),
                params.apply(EsmtpParams.defaults(HOST))));
    }

    InetSocketAddress start() throws Exception {
        return start(p -> p);
    }

    InetSocketAddress start(EsmtpListenerConfig config) throws Exception {
        EsmtpServer server = new EsmtpServer(config, injector, relayPolicy, admission);
        servers.add(server);
        return server.start();
    }

    EsmtpServer last() {
        return servers.getLast();
    }

    @Override
    public void close() {
        servers.forEach(EsmtpServer::close);
    }
}
