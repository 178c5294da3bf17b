package dev.sluice.egress.shaping;

import dev.sluice.egress.dns.MxRecord;
import dev.sluice.egress.dns.Resolver;
import dev.sluice.policy.LuaObject;
import dev.sluice.policy.kumo.LuaArgs;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * The object {@code kumo.shaping.load} returns: merged shaping data, immutable once loaded and shared by every Lua
 * state (memoizable). Resolution for a (domain, source, site) path, in order: {@code "default"}, matching providers
 * (with their provider-wide limits as named shared limits), matching providers' {@code sources} block, the site's
 * rolled-up block, the domain's own block ({@code mx_rollup = false}), then the site's and the domain's
 * {@code sources} blocks; a block with {@code replace_base} first discards what the earlier steps gave.
 */
public final class Shaping implements LuaObject {
    private static final Pattern DOMAIN_NAME = Pattern.compile("[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?");
    /** Below the policy call limit (5 s by default): the lookup runs inside get_egress_path_config. */
    private static final long MX_WAIT_SECONDS = 3;

    private final Map<String, ShapingBlock> bySite;
    private final Map<String, ShapingBlock> byDomain;
    private final Map<String, ProviderBlock> providers;
    private final List<String> warnings;
    private final List<String> errors;
    private final String hash;
    private final Supplier<Resolver> resolver;
    /** MX hosts of the domains providers were matched against (successful lookups only). */
    private final Map<String, List<String>> mxCache = new ConcurrentHashMap<>();

    Shaping(Map<String, ShapingBlock> bySite, Map<String, ShapingBlock> byDomain, Map<String, ProviderBlock> providers,
            List<String> warnings, List<String> errors, Supplier<Resolver> resolver) {
        this.bySite = Map.copyOf(bySite);
        this.byDomain = Map.copyOf(byDomain);
        this.providers = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(providers));
        this.warnings = List.copyOf(warnings);
        this.errors = List.copyOf(errors);
        this.resolver = resolver;
        this.hash = digest(new TreeMap<>(bySite) + "|" + new TreeMap<>(byDomain) + "|" + providers.values()
                + "|" + warnings + "|" + errors);
    }

    public List<String> errors() {
        return errors;
    }

    public List<String> warnings() {
        return warnings;
    }

    public String hash() {
        return hash;
    }

    /** One option of a resolved path config and where it came from ({@code file: [block]}). */
    public record Traced(String key, Object value, String origin) {}

    /** The merged make_egress_path options for the path; a fresh table each call. */
    public Map<String, Object> egressPathConfig(String domain, String source, String site) {
        return deepCopy(resolve(domain, source, site, new LinkedHashMap<>()));
    }

    /**
     * {@link #egressPathConfig}, each option with the file and block that gave its value (the last one to set it,
     * as the merge goes), in the order of the config.
     */
    public List<Traced> explain(String domain, String source, String site) {
        Map<String, String> origins = new LinkedHashMap<>();
        Map<String, Object> params = resolve(domain, source, site, origins);
        List<Traced> out = new ArrayList<>();
        params.forEach((key, value) -> out.add(new Traced(key, value, origins.getOrDefault(key, "?"))));
        return out;
    }

    private Map<String, Object> resolve(String domain, String source, String site, Map<String, String> origins) {
        domain = ShapingLoader.normalize(domain);
        Map<String, Object> params = new LinkedHashMap<>();
        ShapingBlock dflt = byDomain.get("default");
        if (dflt != null) merge(params, origins, dflt.params, dflt.paramOrigins, false);
        if (DOMAIN_NAME.matcher(domain).matches()) {
            List<ProviderBlock> withSources = new ArrayList<>();
            for (ProviderBlock p : providers.values()) {
                if (!p.matches(domain, p.needsMx() ? mxHosts(domain) : null)) continue;
                merge(params, origins, p.options.params, p.options.paramOrigins, p.options.replaceBase);
                merge(params, origins, p.implied(source), Map.of(), false, p.lastOrigin());
                if (!p.options.sources.isEmpty()) withSources.add(p);
            }
            for (ProviderBlock p : withSources) {
                Map<String, Object> s = p.options.sources.get(source);
                if (s != null) {
                    merge(params, origins, s, p.options.sourceOrigins.getOrDefault(source, Map.of()), false);
                    merge(params, origins, p.implied(source), Map.of(), false, p.lastOrigin());
                }
            }
        }
        ShapingBlock siteBlock = site == null ? null : bySite.get(site);
        ShapingBlock domainBlock = domain.equals("default") ? null : byDomain.get(domain);
        if (siteBlock != null) merge(params, origins, siteBlock.params, siteBlock.paramOrigins, siteBlock.replaceBase);
        if (domainBlock != null) merge(params, origins, domainBlock.params, domainBlock.paramOrigins, domainBlock.replaceBase);
        if (siteBlock != null && siteBlock.sources.containsKey(source)) {
            merge(params, origins, siteBlock.sources.get(source), siteBlock.sourceOrigins.getOrDefault(source, Map.of()), false);
        }
        if (domainBlock != null && domainBlock.sources.containsKey(source)) {
            merge(params, origins, domainBlock.sources.get(source), domainBlock.sourceOrigins.getOrDefault(source, Map.of()), false);
        }
        return params;
    }

    private static void merge(Map<String, Object> params, Map<String, String> origins, Map<String, Object> block,
                              Map<String, String> blockOrigins, boolean replaceBase) {
        merge(params, origins, block, blockOrigins, replaceBase, "?");
    }

    private static void merge(Map<String, Object> params, Map<String, String> origins, Map<String, Object> block,
                              Map<String, String> blockOrigins, boolean replaceBase, String fallbackOrigin) {
        if (replaceBase) {
            params.clear();
            origins.clear();
        }
        ShapingBlock.mergeParams(params, block);
        block.keySet().forEach(k -> origins.put(k, blockOrigins.getOrDefault(k, fallbackOrigin)));
    }

    /** The rules that fire for a delivery log record (none for postmaster or a record without a recipient). */
    public List<AutomationRule> matchRules(Map<?, ?> record) {
        String recipient = switch (record.get("recipient")) {
            case String s -> s;
            case List<?> l when !l.isEmpty() && l.getFirst() instanceof String s -> s;
            case null, default -> null;
        };
        if (recipient == null) return List.of();
        int at = recipient.lastIndexOf('@');
        if (at < 0) return List.of();
        String domain = ShapingLoader.normalize(recipient.substring(at + 1).replace(">", ""));
        String source = record.get("egress_source") instanceof String s ? s : "unspecified";
        String site = record.get("site") instanceof String s ? s : "";
        if (site.startsWith(source + "->")) site = site.substring(source.length() + 2);
        if (site.endsWith("@smtp_client")) site = site.substring(0, site.length() - "@smtp_client".length());
        String response = singleLine(record.get("response"));

        List<AutomationRule> out = new ArrayList<>();
        ShapingBlock dflt = byDomain.get("default");
        if (dflt != null) dflt.automation.stream().filter(r -> r.matches(response)).map(AutomationRule::withRollup).forEach(out::add);
        if (DOMAIN_NAME.matcher(domain).matches()) {
            for (ProviderBlock p : providers.values()) {
                if (p.options.automation.isEmpty() || !p.matches(domain, p.needsMx() ? mxHosts(domain) : null)) continue;
                p.options.automation.stream().filter(r -> r.matches(response)).forEach(out::add);
            }
        }
        ShapingBlock siteBlock = bySite.get(site);
        if (siteBlock != null) siteBlock.automation.stream().filter(r -> r.matches(response)).map(AutomationRule::withRollup).forEach(out::add);
        ShapingBlock domainBlock = domain.equals("default") ? null : byDomain.get(domain);
        if (domainBlock != null) domainBlock.automation.stream().filter(r -> r.matches(response)).forEach(out::add);
        return out;
    }

    /** {@code code enhanced content} on one line, as rules see a response. */
    private static String singleLine(Object response) {
        if (response instanceof String s) return s.replaceAll("\r?\n", " ");
        if (!(response instanceof Map<?, ?> m)) return "";
        StringBuilder sb = new StringBuilder();
        String content = m.get("content") == null ? "" : String.valueOf(m.get("content"));
        if (content.startsWith(AutomationRule.INTERNAL_PREFIX)) return content.replaceAll("\r?\n", " ");
        if (m.get("code") != null) sb.append(m.get("code")).append(' ');
        if (m.get("enhanced_code") instanceof Map<?, ?> e) {
            sb.append(e.get("class")).append('.').append(e.get("subject")).append('.').append(e.get("detail")).append(' ');
        }
        return sb.append(content.replaceAll("\r?\n", " ")).toString();
    }

    /** Source name → the blocks that name it ({@code domain:X}, {@code site:X}, {@code provider:X}). */
    public Map<String, List<String>> referencedSources() {
        Map<String, List<String>> out = new TreeMap<>();
        byDomain.forEach((d, b) -> b.sources.keySet().forEach(s -> out.computeIfAbsent(s, k -> new ArrayList<>()).add("domain:" + d)));
        bySite.forEach((d, b) -> b.sources.keySet().forEach(s -> out.computeIfAbsent(s, k -> new ArrayList<>()).add("site:" + d)));
        providers.forEach((n, p) -> p.options.sources.keySet().forEach(s -> out.computeIfAbsent(s, k -> new ArrayList<>()).add("provider:" + n)));
        return out;
    }

    private List<String> mxHosts(String domain) {
        List<String> cached = mxCache.get(domain);
        if (cached != null) return cached;
        try {
            List<String> hosts = resolver.get().mx(domain).get(MX_WAIT_SECONDS, TimeUnit.SECONDS).stream()
                    .map(MxRecord::exchange).map(ShapingLoader::normalize).toList();
            mxCache.put(domain, hosts);
            return hosts;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (Exception e) {
            return null; // no MX answer: MX-based provider matches do not apply (smart hosts, internal names)
        }
    }

    @Override
    public String typeName() {
        return "Shaping";
    }

    @Override
    public Object index(Object key) {
        return switch (String.valueOf(key)) {
            case "get_egress_path_config" -> LuaObject.method(this, a -> egressPathConfig(
                    LuaArgs.string(a, 0, "shaping:get_egress_path_config"),
                    LuaArgs.string(a, 1, "shaping:get_egress_path_config"),
                    LuaArgs.optString(a, 2, "shaping:get_egress_path_config")));
            case "match_rules" -> LuaObject.method(this, a -> {
                if (!(LuaArgs.get(a, 0) instanceof Map<?, ?> record)) {
                    throw LuaArgs.bad("shaping:match_rules", 0, "a log record table", LuaArgs.get(a, 0));
                }
                return matchRules(record).stream().map(AutomationRule::toLua).toList();
            });
            case "hash" -> LuaObject.method(this, a -> hash);
            case "get_errors" -> LuaObject.method(this, a -> errors);
            case "get_warnings" -> LuaObject.method(this, a -> warnings);
            case "get_referenced_sources" -> LuaObject.method(this, a -> referencedSources());
            default -> null;
        };
    }

    @Override
    public String display() {
        return "Shaping(" + hash.substring(0, 12) + ")";
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> deepCopy(Map<String, Object> map) {
        Map<String, Object> out = new LinkedHashMap<>();
        map.forEach((k, v) -> out.put(k, v instanceof Map<?, ?> m ? deepCopy((Map<String, Object>) m) : v));
        return out;
    }

    /** A value for an error message. */
    static String show(Object value) {
        return switch (value) {
            case null -> "nil";
            case String s -> "'" + s + "'";
            default -> String.valueOf(value);
        };
    }

    private static String digest(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
