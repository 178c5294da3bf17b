package dev.sluice.mta.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.mta.ingress.http.HttpListenerModule;
import dev.sluice.mta.ingress.smtp.EsmtpListenerModule;
import dev.sluice.mta.log.LogsPolicyModule;
import dev.sluice.mta.spool.SpoolConfig;
import dev.sluice.mta.spool.SpoolDefinitions;
import dev.sluice.mta.spool.SpoolLuaModule;
import dev.sluice.policy.Policy;
import dev.sluice.policy.PolicyOptions;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The bundled policy of {@code sluice mta} without --policy, as the README promises it. */
class DefaultPolicyTest {
    @Test
    void listensOnLoopbackSpoolsDurablyAndLogsUnderData() throws Exception {
        var esmtp = new EsmtpListenerModule();
        var http = new HttpListenerModule();
        var logs = new LogsPolicyModule();
        var spools = new SpoolDefinitions();
        Path file = MtaApp.Options.defaultPolicy().policyFile();
        try (Policy p = Policy.load(new PolicyOptions(file, 1,
                List.of(esmtp, http, logs, new SpoolLuaModule(spools)), null))) {
            p.runOnce("init");
        }
        assertThat(esmtp.listeners()).extracting(c -> c.listen())
                .containsExactly(new InetSocketAddress("127.0.0.1", 2525));
        assertThat(http.listeners()).extracting(c -> c.listen())
                .containsExactly(new InetSocketAddress("127.0.0.1", 8000));
        SpoolConfig spool = spools.store().orElseThrow();
        assertThat(spool.kind()).isEqualTo(SpoolConfig.Kind.ROCKSDB);
        assertThat(spool.flush()).isTrue();
        assertThat(spool.path()).isEqualTo(Path.of("./data/spool"));
        assertThat(logs.configs()).singleElement().satisfies(c -> assertThat(c.logDir()).isEqualTo(Path.of("./data/logs")));
    }

    @Test
    void aDataDirectoryMovesTheSpoolAndTheLogs() throws Exception {
        var logs = new LogsPolicyModule();
        var spools = new SpoolDefinitions();
        MtaApp.Options options = MtaApp.Options.defaultPolicy(Path.of("/srv/it's here"));
        try (Policy p = Policy.load(new PolicyOptions(options.policyFile(), 1,
                List.of(new EsmtpListenerModule(), new HttpListenerModule(), logs, new SpoolLuaModule(spools)), null))) {
            p.runOnce("init");
        }
        assertThat(spools.store().orElseThrow().path()).isEqualTo(Path.of("/srv/it's here/spool"));
        assertThat(logs.configs()).singleElement()
                .satisfies(c -> assertThat(c.logDir()).isEqualTo(Path.of("/srv/it's here/logs")));
        assertThat(options.dataDir()).contains(Path.of("/srv/it's here"));
        assertThat(options.defaultSpool()).isEqualTo(Path.of("/srv/it's here/spool"));
    }
}
