package dev.sluice.egress.shaping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.egress.dns.Resolver;
import dev.sluice.egress.dns.TestZoneResolver;
import dev.sluice.egress.route.DestinationPlanner;
import dev.sluice.policy.ConfigException;
import dev.sluice.net.http.HttpHandler;
import dev.sluice.net.http.HttpListenerConfig;
import dev.sluice.net.http.HttpResponse;
import dev.sluice.net.http.HttpServer;
import dev.sluice.testkit.FreePorts;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** kumo.shaping.load against in-memory DNS zones: merging, rollup, providers, sources, automation. */
class ShapingLoaderTest {
    private static final String ZONES = """
            $ORIGIN test.
            bigmail      MX 5 in1.mx.bigmail.test.
                         MX 10 in2.mx.bigmail.test.
            hosted       MX 10 in2.mx.bigmail.test.
                         MX 5 in1.mx.bigmail.test.
            hosted2      MX 5 in1.mx.bigmail.test.
                         MX 10 in2.mx.bigmail.test.
            hotmail      MX 2 hotmail-test.olc.protection.outlook.test.
            outlook      MX 5 outlook-test.olc.protection.outlook.test.
            vanity       MX 10 vanity-test.olc.protection.outlook.test.
                         MX 20 mx.elsewhere.test.
            single       MX 10 mail.single-host.test.
            nomail       MX 0 .
            """;
    private static final String BIGMAIL_SITE = DestinationPlanner.mxSiteName(List.of("in1.mx.bigmail.test", "in2.mx.bigmail.test"));

    @TempDir
    Path dir;

    private final Resolver dns = TestZoneResolver.of(List.of(ZONES), List.of("broken.test"));
    private final ShapingModule module = new ShapingModule(() -> dns);

    private String file(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p.toString();
    }

    private Shaping load(Map<String, Object> options, String... files) {
        return module.load(List.of((Object[]) files), options);
    }

    private Shaping load(String... files) {
        return load(null, files);
    }

    @Test
    void laterFilesMergeKeyByKeyOverDefault() throws IOException {
        String base = file("base.toml", """
                ["default"]
                connection_limit = 10
                enable_tls = "Opportunistic"
                max_deliveries_per_connection = 100

                ["bigmail.test"]
                connection_limit = 100
                max_deliveries_per_connection = 50
                """);
        String local = file("local.toml", """
                ["bigmail.test"]
                connection_limit = 5
                """);
        Shaping shaping = load(base, local);

        assertThat(shaping.egressPathConfig("bigmail.test", "s1", BIGMAIL_SITE)).containsExactlyInAnyOrderEntriesOf(Map.of(
                "connection_limit", 5L, "enable_tls", "Opportunistic", "max_deliveries_per_connection", 50L));
        // a domain with no block of its own gets the default
        assertThat(shaping.egressPathConfig("other.test", "s1", "mx.other.test"))
                .containsEntry("connection_limit", 10L).containsEntry("max_deliveries_per_connection", 100L);
        assertThat(shaping.errors()).isEmpty();
    }

    @Test
    void jsonFilesMergeLikeToml() throws IOException {
        String base = file("base.toml", "[\"default\"]\nconnection_limit = 10\n");
        String json = file("more.json", "{ \"default\": { \"max_message_rate\": \"10/s\" } // comment\n }");
        assertThat(load(base, json).egressPathConfig("x.test", "s", "x"))
                .containsEntry("connection_limit", 10L).containsEntry("max_message_rate", "10/s");
    }

    @Test
    void replaceBaseDiscardsWhatEarlierFilesSaid() throws IOException {
        String base = file("base.toml", """
                ["default"]
                enable_tls = "Required"

                ["bigmail.test"]
                connection_limit = 100
                max_deliveries_per_connection = 50
                """);
        String local = file("local.toml", """
                ["bigmail.test"]
                replace_base = true
                connection_limit = 3
                """);
        Map<String, Object> config = load(base, local).egressPathConfig("bigmail.test", "s1", BIGMAIL_SITE);
        assertThat(config).doesNotContainKey("max_deliveries_per_connection")
                .containsEntry("connection_limit", 3L)
                .containsEntry("enable_tls", "Required"); // the default block still applies
        // without replace_base the earlier file's key stays
        String plain = file("plain.toml", "[\"bigmail.test\"]\nconnection_limit = 3\n");
        assertThat(load(base, plain).egressPathConfig("bigmail.test", "s1", BIGMAIL_SITE))
                .containsEntry("max_deliveries_per_connection", 50L);
    }

    @Test
    void replaceBaseInTheFirstBlockAlsoDropsTheDefaults() throws IOException {
        String f = file("s.toml", """
                ["default"]
                enable_tls = "Required"

                ["single.test"]
                mx_rollup = false
                replace_base = true
                connection_limit = 3
                """);
        assertThat(load(f).egressPathConfig("single.test", "s1", "mail.single-host.test"))
                .containsExactlyEntriesOf(Map.of("connection_limit", 3L));
    }

    @Test
    void rolledUpBlockAppliesToEveryDomainOfTheSameMxSite() throws IOException {
        String f = file("s.toml", """
                ["bigmail.test"]
                connection_limit = 7

                ["hosted2.test"]
                mx_rollup = false
                connection_limit = 2
                """);
        Shaping shaping = load(f);
        // hosted.test has the same MX set (in another order), so the same site and the same settings
        assertThat(shaping.egressPathConfig("hosted.test", "s1", BIGMAIL_SITE)).containsEntry("connection_limit", 7L);
        // mx_rollup = false: that domain only, over the site's block
        assertThat(shaping.egressPathConfig("hosted2.test", "s1", BIGMAIL_SITE)).containsEntry("connection_limit", 2L);
        // another site does not get it
        assertThat(shaping.egressPathConfig("single.test", "s1", "mail.single-host.test")).doesNotContainKey("connection_limit");
        assertThat(shaping.errors()).isEmpty();
    }

    @Test
    void twoRolledUpBlocksOnOneSiteAreALoadError() throws IOException {
        String f = file("s.toml", """
                ["bigmail.test"]
                connection_limit = 7

                ["hosted.test"]
                connection_limit = 3
                """);
        assertThat(load(f).errors()).singleElement().asString()
                .contains("[\"bigmail.test\"]", "[\"hosted.test\"]", BIGMAIL_SITE, "mx_rollup = false");
        Shaping relaxed = load(Map.of("aliased_site", "Warn"), f);
        assertThat(relaxed.errors()).isEmpty();
        assertThat(relaxed.warnings()).singleElement().asString().contains("same MX site");
    }

    @Test
    void unresolvableOrNullMxDomainBlocksAreSkipped() throws IOException {
        String f = file("s.toml", """
                ["broken.test"]
                connection_limit = 7

                ["nomail.test"]
                connection_limit = 7
                """);
        assertThat(load(f).errors()).isEmpty();
        Shaping strict = load(Map.of("dns_fail", "Error", "null_mx", "Warn"), f);
        assertThat(strict.errors()).singleElement().asString().contains("[\"broken.test\"]", "MX");
        assertThat(strict.warnings()).singleElement().asString().contains("[\"nomail.test\"]", "null MX");
    }

    @Test
    void providerMatchesWhenEveryMxHostMatches() throws IOException {
        String f = file("s.toml", """
                [provider."outlook"]
                match = [{MXSuffix = ".olc.protection.outlook.test"}]
                max_deliveries_per_connection = 20
                provider_connection_limit = 5
                provider_max_message_rate = "100/s"
                """);
        Shaping shaping = load(f);
        for (String domain : List.of("hotmail.test", "outlook.test")) {
            assertThat(shaping.egressPathConfig(domain, "s1", "x"))
                    .containsEntry("max_deliveries_per_connection", 20L)
                    .containsEntry("provider_name", "outlook")
                    .containsEntry("additional_connection_limits", Map.of("provider:outlook:s1", 5L))
                    .containsEntry("additional_message_rate_throttles", Map.of("provider:outlook:s1", "100/s"));
        }
        // one of vanity.test's MX hosts is elsewhere: not this provider
        assertThat(shaping.egressPathConfig("vanity.test", "s1", "x")).isEmpty();
        // no MX answer: no MX-based match
        assertThat(shaping.egressPathConfig("broken.test", "s1", "x")).isEmpty();
    }

    @Test
    void providerDomainSuffixAndHostNameMatches() throws IOException {
        String f = file("s.toml", """
                [provider."suffix"]
                match = [{DomainSuffix = ".example.test"}]
                connection_limit = 4

                [provider."host"]
                match = [{HostName = "mail.single-host.test"}]
                smtp_port = 2525

                [provider."mixed"]
                match = [{MXSuffix = ".olc.protection.outlook.test"}, {HostName = "mx.elsewhere.test"}]
                enable_tls = "Disabled"
                """);
        Shaping shaping = load(f);
        assertThat(shaping.egressPathConfig("a.example.test", "s1", "x")).containsEntry("connection_limit", 4L);
        assertThat(shaping.egressPathConfig("single.test", "s1", "x")).containsEntry("smtp_port", 2525L);
        // every host of vanity.test matches one entry or the other
        assertThat(shaping.egressPathConfig("vanity.test", "s1", "x")).containsEntry("enable_tls", "Disabled");
    }

    @Test
    void sourceBlocksOverrideForThatSourceOnly() throws IOException {
        String f = file("s.toml", """
                ["default"]
                connection_limit = 10

                ["bigmail.test"]
                max_deliveries_per_connection = 20

                ["bigmail.test".sources."ip-1"]
                max_deliveries_per_connection = 5

                [provider."outlook"]
                match = [{MXSuffix = ".olc.protection.outlook.test"}]
                connection_limit = 6

                [provider."outlook".sources."ip-1"]
                connection_limit = 1
                """);
        Shaping shaping = load(f);
        assertThat(shaping.egressPathConfig("hosted.test", "ip-1", BIGMAIL_SITE))
                .containsEntry("max_deliveries_per_connection", 5L).containsEntry("connection_limit", 10L);
        assertThat(shaping.egressPathConfig("hosted.test", "ip-2", BIGMAIL_SITE))
                .containsEntry("max_deliveries_per_connection", 20L);
        assertThat(shaping.egressPathConfig("outlook.test", "ip-1", "x")).containsEntry("connection_limit", 1L);
        assertThat(shaping.egressPathConfig("outlook.test", "ip-2", "x")).containsEntry("connection_limit", 6L);
        assertThat(shaping.referencedSources()).containsOnlyKeys("ip-1");
    }

    @Test
    void badOptionNamesFileAndBlock() throws IOException {
        String f = file("bad.toml", "[\"bigmail.test\"]\nconection_limit = 5\n");
        assertThatThrownBy(() -> load(f)).isInstanceOf(ConfigException.class)
                .hasMessageContaining(f + ": [\"bigmail.test\"]: ").hasMessageContaining("conection_limit");
        String src = file("src.toml", "[\"bigmail.test\".sources.\"ip-1\"]\nconnection_limit = 0\n");
        assertThatThrownBy(() -> load(src)).hasMessageContaining(src + ": [\"bigmail.test\".sources.\"ip-1\"]: ")
                .hasMessageContaining("connection_limit");
        String prov = file("prov.toml", "[provider.\"p\"]\nmatch = [{MXSufix = \".x\"}]\n");
        assertThatThrownBy(() -> load(prov)).hasMessageContaining(prov + ": [provider.\"p\"]: a match entry");
        assertThatThrownBy(() -> load(dir.resolve("missing.toml").toString())).hasMessageContaining("missing.toml")
                .hasMessageContaining("no such file");
    }

    @Test
    void automationRulesAreCheckedWithFileAndBlock() throws IOException {
        record Case(String rule, String expected) {}
        List<Case> cases = List.of(
                new Case("regex = \"x\"\naction = \"Suspend\"", "'duration' is required"),
                new Case("regex = \"x\"\naction = \"Pause\"\nduration = \"1h\"", "unknown action 'Pause'"),
                new Case("regex = \"(\"\naction = \"Suspend\"\nduration = \"1h\"", "regex: invalid pattern '('"),
                new Case("regex = \"x\"\naction = \"Suspend\"\nduration = \"1h\"\ntrigger = {Threshold = \"ten/hr\"}", "trigger Threshold"),
                new Case("regex = \"x\"\naction = {SetConfig = {name = \"conection_limit\", value = 1}}\nduration = \"1h\"", "conection_limit"),
                // an option Sluice accepts in a path config but does not act on: the rule would change nothing
                new Case("regex = \"x\"\naction = {SetDomainConfig = {name = \"enable_dane\", value = true}}\nduration = \"1h\"",
                        "action SetDomainConfig: 'enable_dane' is a path option Sluice accepts but does not act on"),
                new Case("action = \"Suspend\"\nduration = \"1h\"", "'regex' is required"),
                new Case("regex = \"x\"\naction = \"Suspend\"\nduration = \"1h\"\nmatch_intern = true", "unknown key 'match_intern'"));
        for (Case c : cases) {
            String f = file("auto.toml", """
                    [["bigmail.test".automation]]
                    regex = "fine"
                    action = "Bounce"
                    duration = "1h"

                    [["bigmail.test".automation]]
                    """ + c.rule + "\n");
            assertThatThrownBy(() -> load(f)).as(c.rule).isInstanceOf(ConfigException.class)
                    .hasMessageContaining(f + ": [[\"bigmail.test\".automation]] #2: ").hasMessageContaining(c.expected);
        }
    }

    @Test
    void matchRulesFindsTheRulesOfTheRecordsScopes() throws IOException {
        String f = file("s.toml", """
                [["default".automation]]
                regex = "rate limited due to IP reputation"
                action = [{SetConfig = {name = "max_message_rate", value = "1/min"}}, {SetConfig = {name = "connection_limit", value = 1}}]
                duration = "90 minutes"

                [["bigmail.test".automation]]
                regex = ["\\\\[TS04\\\\]", "try later"]
                action = "Suspend"
                trigger = {Threshold = "3/hr"}
                duration = "2 hours"

                ["hosted2.test"]
                mx_rollup = false

                [["hosted2.test".automation]]
                regex = "failed to connect"
                action = "SuspendTenant"
                duration = "10m"
                match_internal = true

                ["single.test"]
                mx_rollup = false

                [["single.test".automation]]
                regex = "failed to connect"
                action = "Bounce"
                duration = "10m"
                """);
        Shaping shaping = load(f);
        assertThat(shaping.errors()).isEmpty();
        Map<String, Object> deferral = Map.of("recipient", List.of("u@hosted.test"), "egress_source", "ip-1",
                "site", "ip-1->" + BIGMAIL_SITE + "@smtp_client",
                "response", Map.of("code", 421L, "content", "4.7.0 [TS04] Messages from 10.0.0.1 temporarily deferred"));
        List<AutomationRule> rules = shaping.matchRules(deferral);
        assertThat(rules).singleElement().satisfies(r -> {
            assertThat(r.actions()).containsExactly(ShapingAction.Named.Suspend);
            assertThat(r.trigger()).isInstanceOf(AutomationTrigger.Threshold.class);
            assertThat(r.wasRollup()).isTrue();
            assertThat(r.duration()).hasHours(2);
        });
        Map<String, Object> reputation = Map.of("recipient", "u@single.test", "site", "mail.single-host.test",
                "response", Map.of("code", 451L, "content", "temporarily rate limited due to IP reputation"));
        assertThat(shaping.matchRules(reputation)).singleElement().satisfies(r -> assertThat(r.actions())
                .containsExactly(new ShapingAction.SetConfig("max_message_rate", "1/min", false),
                        new ShapingAction.SetConfig("connection_limit", 1L, false)));
        // an internal response only matches a rule with match_internal = true
        String internal = "KumoMTA internal: failed to connect to any candidate hosts: refused";
        assertThat(shaping.matchRules(Map.of("recipient", "u@single.test", "site", "x",
                "response", Map.of("code", 400L, "content", internal)))).isEmpty();
        assertThat(shaping.matchRules(Map.of("recipient", "u@hosted2.test", "site", "x",
                "response", Map.of("code", 400L, "content", internal))))
                .singleElement().satisfies(r -> assertThat(r.actions()).containsExactly(ShapingAction.Named.SuspendTenant));
        assertThat(shaping.matchRules(Map.of("recipient", "postmaster", "response", "x"))).isEmpty();
    }

    @Test
    void hashChangesWithTheDataOnly() throws IOException {
        String a = file("a.toml", "[\"default\"]\nconnection_limit = 10\n");
        String b = file("b.toml", "[\"default\"]\nconnection_limit = 11\n");
        assertThat(load(a).hash()).isEqualTo(load(a).hash()).isNotEqualTo(load(b).hash());
    }

    @Test
    void aRemoteFileIsFetchedAndMergedLastAndAnUnreachableOneIsSkipped() throws IOException {
        String a = file("a.toml", """
                ["default"]
                connection_limit = 10

                ["single.test"]
                mx_rollup = false
                max_message_rate = "5/s"
                """);
        var overlay = new java.util.concurrent.atomic.AtomicReference<>("""
                ["single.test"]
                mx_rollup = false

                ["single.test".sources."s1"]
                max_message_rate = "1/min"
                """);
        HttpServer tsa = new HttpServer(HttpListenerConfig.plain(new InetSocketAddress("127.0.0.1", FreePorts.tcp())));
        tsa.route("GET", "/get_config_v1/shaping.toml", HttpServer.Access.PUBLIC,
                HttpHandler.sync(r -> HttpResponse.text(200, overlay.get())));
        String url = "http://127.0.0.1:" + tsa.start().getPort() + "/get_config_v1/shaping.toml";
        try {
            Shaping shaping = load(a, url);
            assertThat(shaping.egressPathConfig("single.test", "s1", null)).containsEntry("max_message_rate", "1/min");
            assertThat(shaping.egressPathConfig("single.test", "s2", null)).containsEntry("max_message_rate", "5/s");
            assertThat(shaping.explain("single.test", "s1", null)).contains(
                    new Shaping.Traced("max_message_rate", "1/min", url + ": [\"single.test\".sources.\"s1\"]"),
                    new Shaping.Traced("connection_limit", 10L, a + ": [\"default\"]"));
            // a changed overlay changes the hash (what the MTA's config monitor watches)
            String before = shaping.hash();
            overlay.set("[\"single.test\"]\nmx_rollup = false\n");
            assertThat(load(a, url).hash()).isNotEqualTo(before);
        } finally {
            tsa.stop();
        }
        // the daemon is gone: only the local files, no finding unless asked for
        Shaping down = load(a, url);
        assertThat(down.egressPathConfig("single.test", "s1", null)).containsEntry("max_message_rate", "5/s");
        assertThat(down.warnings()).isEmpty();
        assertThat(load(Map.of("remote_load", "Warn"), a, url).warnings()).singleElement().asString()
                .startsWith(url + ": fetching it failed");
        assertThatThrownBy(() -> load(Map.of("remote_load", "Error"), a, url))
                .hasMessageStartingWith(url + ": fetching it failed");
        assertThat(load(Map.of("skip_remote", true, "remote_load", "Error"), a, url).warnings()).isEmpty();
    }

    @Test
    void kumoDefaultPathReadsTheBundledDefaultFile() throws IOException {
        Resolver google = TestZoneResolver.of(List.of("""
                $ORIGIN test.
                workspace   MX 1 aspmx.l.google.com.
                            MX 5 alt1.aspmx.l.google.com.
                yahooish    MX 1 mta5.am0.yahoodns.net.
                """), List.of());
        Shaping shaping = new ShapingModule(() -> google).load(List.of(ShapingLoader.DEFAULT_FILE), null);
        assertThat(shaping.errors()).isEmpty();
        assertThat(shaping.egressPathConfig("workspace.test", "s1", "x"))
                .containsEntry("provider_name", "google")
                .containsEntry("enable_tls", "Opportunistic")
                .containsKey("additional_connection_limits");
        assertThat(shaping.matchRules(Map.of("recipient", "a@yahooish.test", "site", "x",
                "response", Map.of("code", 421L, "content", "4.7.0 [TS04] Messages from 10.0.0.1 temporarily deferred"))))
                .singleElement().satisfies(r -> assertThat(r.actions()).containsExactly(ShapingAction.Named.Suspend));
    }
}
