package dev.sluice.egress.shaping;

import dev.sluice.egress.dns.MxRecord;
import dev.sluice.egress.dns.Resolver;
import dev.sluice.egress.route.DestinationPlanner;
import dev.sluice.policy.ConfigException;
import dev.sluice.policy.egress.EgressPath;
import dev.sluice.policy.egress.ThrottleSpec;
import dev.sluice.policy.kumo.serde.SerdeModule;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import dev.sluice.policy.kumo.serde.LuaData;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Reads shaping files (TOML by name, JSON otherwise) in order and merges them into a {@link Shaping}: the
 * {@code "default"} block, domain blocks (rolled up to their MX site unless {@code mx_rollup = false}), their
 * {@code sources} overrides and {@code automation} rules, and {@code provider} blocks. A malformed file or block
 * fails the load with {@code file: [block]: reason}; findings of the kinds the options grade (aliased sites, DNS
 * failures, null MX, provider overlap) go to {@code get_errors()} / {@code get_warnings()}.
 */
final class ShapingLoader {
    /**
     * Where KumoMTA installs its default shaping file. When nothing is there, this name reads the default file Sluice
     * bundles ({@code policy-extras/shaping.toml}), so that policies and tsa_init files naming it work unchanged.
     */
    static final String DEFAULT_FILE = "/opt/kumomta/share/policy-extras/shaping.toml";
    private static final String BUNDLED_DEFAULT = "dev/sluice/policy/lua/policy-extras/shaping.toml";
    private static final Set<String> BLOCK_KEYS = Set.of("mx_rollup", "replace_base", "automation", "sources");
    private static final Set<String> PROVIDER_KEYS = Set.of("match", "provider_connection_limit",
            "provider_max_message_rate", "replace_base", "automation", "sources");

    /** Fetches remote shaping files; its connection pool and selector thread live as long as the process. */
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(java.time.Duration.ofSeconds(2))
            .version(HttpClient.Version.HTTP_1_1).build();

    private final ShapingOptions options;
    private final Supplier<Resolver> resolver;
    private final List<String> warnings = new ArrayList<>();
    private final List<String> errors = new ArrayList<>();

    private ShapingLoader(ShapingOptions options, Supplier<Resolver> resolver) {
        this.options = options;
        this.resolver = resolver;
    }

    static Shaping load(List<String> files, ShapingOptions options, Supplier<Resolver> resolver) {
        return new ShapingLoader(options, resolver).run(files);
    }

    /** One domain block of one file, before rollup. */
    private record Parsed(String domain, boolean mxRollup, ShapingBlock block, String file) {}

    private Shaping run(List<String> files) {
        List<Parsed> domains = new ArrayList<>();
        Map<String, ProviderBlock> providers = new LinkedHashMap<>();
        for (String file : files) {
            Map<String, Object> doc = read(file);
            if (doc == null) continue;
            doc.forEach((key, value) -> {
                if (key.equals("provider")) {
                    for (Map.Entry<String, Object> p : table(value, file, "[provider]").entrySet()) {
                        ProviderBlock parsed = provider(p.getKey(), p.getValue(), file);
                        providers.merge(p.getKey(), parsed, (a, b) -> {
                            a.mergeFrom(b);
                            return a;
                        });
                    }
                } else {
                    domains.add(domain(key, value, file));
                }
            });
        }
        for (ProviderBlock p : providers.values()) {
            if (p.matches.isEmpty()) {
                push(CheckLevel.Warn, "[provider.\"" + p.name + "\"]: has no match entries, so it applies to nothing");
            }
        }

        Map<String, CompletableFuture<List<MxRecord>>> lookups = new LinkedHashMap<>();
        for (Parsed d : domains) {
            if (d.mxRollup) lookups.computeIfAbsent(d.domain, n -> resolver.get().mx(n));
        }
        long deadline = System.nanoTime() + options.dnsTimeout().toNanos();
        Map<String, ShapingBlock> bySite = new LinkedHashMap<>();
        Map<String, ShapingBlock> byDomain = new LinkedHashMap<>();
        Map<String, Set<String>> aliases = new LinkedHashMap<>();
        Map<String, List<String>> resolved = new HashMap<>();
        for (Parsed d : domains) {
            ShapingBlock target;
            if (d.mxRollup) {
                List<MxRecord> mx;
                try {
                    mx = lookups.get(d.domain).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (Exception e) {
                    Throwable cause = e instanceof java.util.concurrent.ExecutionException && e.getCause() != null ? e.getCause() : e;
                    push(options.dnsFail(), d.file + ": [\"" + d.domain + "\"]: looking up its MX for mx_rollup failed ("
                            + (cause instanceof java.util.concurrent.TimeoutException ? "timed out" : cause.getMessage())
                            + "); the block is not used (set mx_rollup = false to key it by the domain)");
                    continue;
                }
                List<String> hosts = mx.stream().map(MxRecord::exchange).toList();
                if (hosts.stream().anyMatch(String::isEmpty)) {
                    push(options.nullMx(), d.file + ": [\"" + d.domain + "\"]: the domain has a null MX (it accepts no mail); "
                            + "the block is not used");
                    continue;
                }
                resolved.put(d.domain, hosts);
                String site = DestinationPlanner.mxSiteName(hosts);
                aliases.computeIfAbsent(site, s -> new LinkedHashSet<>()).add(d.domain);
                target = bySite.computeIfAbsent(site, ShapingBlock::new);
            } else {
                target = byDomain.computeIfAbsent(d.domain, ShapingBlock::new);
            }
            target.mergeFrom(d.block);
        }
        aliases.forEach((site, names) -> {
            if (names.size() > 1) {
                push(options.aliasedSite(), "domain blocks " + String.join(", ", names.stream().map(n -> "[\"" + n + "\"]").toList())
                        + " roll up to the same MX site (" + site + ") and would share one configuration; "
                        + "set mx_rollup = false in all but one of them (or load with aliased_site = \"Warn\")");
            }
        });
        if (options.providerOverlap() != CheckLevel.Ignore) {
            resolved.forEach((domain, hosts) -> {
                List<String> overlapping = providers.values().stream().filter(p -> p.matches(domain, hosts))
                        .map(p -> p.name).toList();
                if (!overlapping.isEmpty()) {
                    push(options.providerOverlap(), "[\"" + domain + "\"] is also matched by provider(s) "
                            + String.join(", ", overlapping));
                }
            });
        }
        return new Shaping(bySite, byDomain, providers, warnings, errors, resolver);
    }

    private void push(CheckLevel level, String message) {
        switch (level) {
            case Ignore -> {}
            case Warn -> warnings.add(message);
            case Error -> errors.add(message);
        }
    }

    /** The file's top-level table, or null when it is skipped (unreadable below the Error level, or skip_remote). */
    private Map<String, Object> read(String file) {
        if (file.startsWith("http://") || file.startsWith("https://")) {
            if (options.skipRemote()) return null;
            try {
                return table(fetch(file), file, "the top level");
            } catch (ConfigException e) {
                String message = file + ": " + e.getMessage();
                if (options.remoteLoad() == CheckLevel.Error) throw new ConfigException(message);
                push(options.remoteLoad(), message);
                return null;
            }
        }
        Object doc;
        try {
            doc = file.equals(DEFAULT_FILE) && !Files.exists(Path.of(file)) ? bundledDefault()
                    : SerdeModule.load(file.endsWith(".toml") ? "toml" : "json", Path.of(file));
        } catch (ConfigException e) {
            String message = file + ": " + e.getMessage();
            if (options.localLoad() == CheckLevel.Error) throw new ConfigException(message);
            push(options.localLoad(), message);
            return null;
        }
        return table(doc, file, "the top level");
    }

    /** GETs an http(s) shaping file (a TSA daemon's overlay): TOML when the path ends in .toml, JSON otherwise. */
    private Object fetch(String url) {
        HttpResponse<String> response;
        try {
            HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(options.httpTimeout()).GET().build();
            response = HTTP.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("not a valid URL: " + e.getMessage());
        } catch (java.net.http.HttpTimeoutException e) {
            throw new ConfigException("fetching it timed out after " + options.httpTimeout().toMillis() + " ms");
        } catch (IOException e) {
            throw new ConfigException("fetching it failed: " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConfigException("fetching it was interrupted");
        }
        if (response.statusCode() / 100 != 2) {
            throw new ConfigException("fetching it failed: HTTP " + response.statusCode());
        }
        String path = URI.create(url).getPath();
        try {
            JsonNode tree = path != null && path.endsWith(".toml") ? new TomlMapper().readTree(response.body())
                    : new ObjectMapper().readTree(response.body());
            return LuaData.fromTree(tree);
        } catch (IOException e) {
            throw new ConfigException("parsing it: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    private static Object bundledDefault() {
        try (InputStream in = ShapingLoader.class.getClassLoader().getResourceAsStream(BUNDLED_DEFAULT)) {
            if (in == null) throw new ConfigException("the bundled default shaping file is missing from the class path");
            return LuaData.fromTree(new TomlMapper().readTree(in));
        } catch (IOException e) {
            throw new ConfigException("(bundled default): " + e.getMessage());
        }
    }

    private Parsed domain(String rawName, Object value, String file) {
        String domain = normalize(rawName);
        String block = "[\"" + domain + "\"]";
        Map<String, Object> t = table(value, file, block);
        boolean isDefault = domain.equals("default");
        if (!isDefault && !domain.contains(".") && !domain.contains(":")) {
            warnings.add(file + ": " + block + ": a single-label domain; quote dotted names (\"[\\\"example.com\\\"]\"), "
                    + "else TOML reads the dots as nested tables");
        }
        ShapingBlock b = new ShapingBlock(domain);
        boolean mxRollup = bool(t, "mx_rollup", true, file, block);
        fillBlock(b, t, BLOCK_KEYS, file, block, domain);
        return new Parsed(domain, mxRollup && !isDefault, b, file);
    }

    private ProviderBlock provider(String name, Object value, String file) {
        String block = "[provider.\"" + name + "\"]";
        Map<String, Object> t = table(value, file, block);
        ProviderBlock p = new ProviderBlock(name);
        Object match = t.get("match");
        if (match != null) {
            if (!(match instanceof List<?> list)) {
                throw new ConfigException(file + ": " + block + ": match must be a list such as [{MXSuffix = \".example.net\"}]");
            }
            for (Object m : list) p.matches.add(match(m, file, block));
        }
        Object limit = t.get("provider_connection_limit");
        if (limit != null) {
            try {
                EgressPath.parse(Map.of("connection_limit", limit));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(file + ": " + block + ": provider_connection_limit: invalid limit "
                        + Shaping.show(limit) + " (a whole number, at least 1)");
            }
            p.connectionLimit = Optional.of(limit);
        }
        Object rate = t.get("provider_max_message_rate");
        if (rate != null) {
            if (!(rate instanceof String text)) {
                throw new ConfigException(file + ": " + block + ": provider_max_message_rate must be a string such as \"100/s\"");
            }
            try {
                ThrottleSpec.parse(text);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(file + ": " + block + ": provider_max_message_rate: " + e.getMessage());
            }
            p.maxMessageRate = Optional.of(text);
        }
        fillBlock(p.options, t, PROVIDER_KEYS, file, block, "provider " + name);
        return p;
    }

    private static ProviderBlock.Match match(Object m, String file, String block) {
        if (m instanceof Map<?, ?> map && map.size() == 1 && map.values().iterator().next() instanceof String s) {
            String value = normalize(s);
            switch (String.valueOf(map.keySet().iterator().next())) {
                case "MXSuffix": return new ProviderBlock.Match.MxSuffix(value);
                case "DomainSuffix": return new ProviderBlock.Match.DomainSuffix(value);
                case "HostName": return new ProviderBlock.Match.HostName(value);
                default: break;
            }
        }
        throw new ConfigException(file + ": " + block + ": a match entry is {MXSuffix = \"...\"}, {DomainSuffix = \"...\"} "
                + "or {HostName = \"...\"}, got " + Shaping.show(m));
    }

    /** Options, sources and automation of a domain or provider block; every option checked as make_egress_path would. */
    private void fillBlock(ShapingBlock b, Map<String, Object> t, Set<String> special, String file, String block, String scope) {
        b.replaceBase = bool(t, "replace_base", false, file, block);
        b.origins.add(file + ": " + block);
        t.forEach((key, value) -> {
            if (!special.contains(key)) {
                b.params.put(key, value);
                b.paramOrigins.put(key, file + ": " + block);
            }
        });
        validate(b.params, file, block);
        Object sources = t.get("sources");
        if (sources != null) {
            for (Map.Entry<String, Object> s : table(sources, file, block + ".sources").entrySet()) {
                String sblock = block.replaceFirst("]$", "") + ".sources.\"" + s.getKey() + "\"]";
                Map<String, Object> params = new LinkedHashMap<>(table(s.getValue(), file, sblock));
                validate(params, file, sblock);
                b.sources.put(s.getKey(), params);
                Map<String, String> origins = b.sourceOrigins.computeIfAbsent(s.getKey(), k -> new LinkedHashMap<>());
                params.keySet().forEach(k -> origins.put(k, file + ": " + sblock));
            }
        }
        Object automation = t.get("automation");
        if (automation != null) {
            if (!(automation instanceof List<?> rules)) {
                throw new ConfigException(file + ": " + block + ": automation must be a list of rules ([[" + scopeName(block) + ".automation]])");
            }
            for (int i = 0; i < rules.size(); i++) {
                String rblock = "[[" + scopeName(block) + ".automation]] #" + (i + 1);
                b.automation.add(AutomationRule.parse(rules.get(i), file + ": " + rblock));
            }
        }
    }

    private static String scopeName(String block) {
        return block.substring(1, block.length() - 1);
    }

    private static void validate(Map<String, Object> params, String file, String block) {
        try {
            EgressPath.parse(params);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(file + ": " + block + ": " + e.getMessage());
        }
    }

    private static boolean bool(Map<String, Object> t, String key, boolean fallback, String file, String block) {
        Object v = t.get(key);
        if (v == null) return fallback;
        if (v instanceof Boolean b) return b;
        throw new ConfigException(file + ": " + block + ": " + key + " must be true or false, got " + Shaping.show(v));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> table(Object value, String file, String block) {
        if (value instanceof Map<?, ?> m) {
            for (Object k : m.keySet()) {
                if (!(k instanceof String)) {
                    throw new ConfigException(file + ": " + block + ": keys must be names, got " + Shaping.show(k));
                }
            }
            return (Map<String, Object>) m;
        }
        throw new ConfigException(file + ": " + block + ": expected a table, got " + Shaping.show(value));
    }

    static String normalize(String name) {
        String n = name.strip().toLowerCase(Locale.ROOT);
        return n.endsWith(".") ? n.substring(0, n.length() - 1) : n;
    }
}
