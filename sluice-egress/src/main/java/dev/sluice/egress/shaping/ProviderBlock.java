package dev.sluice.egress.shaping;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A {@code [provider."name"]} block merged over the files: which destinations it matches, the options it gives
 * them, and the limits shared by all of its sites.
 */
final class ProviderBlock {
    /** One entry of {@code match}. */
    sealed interface Match {
        record DomainSuffix(String suffix) implements Match {}

        record MxSuffix(String suffix) implements Match {}

        record HostName(String name) implements Match {}
    }

    final String name;
    final List<Match> matches = new ArrayList<>();
    final ShapingBlock options;
    Optional<Object> connectionLimit = Optional.empty();
    Optional<String> maxMessageRate = Optional.empty();

    ProviderBlock(String name) {
        this.name = name;
        this.options = new ShapingBlock("provider:" + name);
    }

    void mergeFrom(ProviderBlock later) {
        if (later.options.replaceBase) {
            matches.clear();
            connectionLimit = Optional.empty();
            maxMessageRate = Optional.empty();
        }
        matches.addAll(later.matches);
        if (later.connectionLimit.isPresent()) connectionLimit = later.connectionLimit;
        if (later.maxMessageRate.isPresent()) maxMessageRate = later.maxMessageRate;
        options.mergeFrom(later.options);
    }

    boolean needsMx() {
        return matches.stream().anyMatch(m -> !(m instanceof Match.DomainSuffix));
    }

    /**
     * Whether the provider covers {@code domain}: a DomainSuffix matches, or (with {@code mxHosts} known) every MX
     * host matches some MXSuffix or HostName entry. Plain suffix comparison, no wildcards.
     */
    boolean matches(String domain, List<String> mxHosts) {
        for (Match m : matches) {
            if (m instanceof Match.DomainSuffix(String suffix) && domain.endsWith(suffix)) return true;
        }
        if (mxHosts == null || mxHosts.isEmpty() || !needsMx()) return false;
        for (String host : mxHosts) {
            boolean hostMatched = false;
            for (Match m : matches) {
                hostMatched = switch (m) {
                    case Match.MxSuffix(String suffix) -> !host.isEmpty() && host.endsWith(suffix);
                    case Match.HostName(String n) -> host.equals(n);
                    case Match.DomainSuffix d -> false;
                };
                if (hostMatched) break;
            }
            if (!hostMatched) return false;
        }
        return true;
    }

    /**
     * What the provider adds for {@code source}: its name, and its provider-wide limits as named shared limits
     * ({@code provider:<name>:<source>}) that every ready queue of this source to any of its sites counts against.
     */
    Map<String, Object> implied(String source) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("provider_name", name);
        connectionLimit.ifPresent(l -> out.put("additional_connection_limits", Map.of(sharedKey(source), l)));
        maxMessageRate.ifPresent(r -> out.put("additional_message_rate_throttles", Map.of(sharedKey(source), r)));
        return out;
    }

    /** The last file and block that defined this provider (where its provider-wide limits were read). */
    String lastOrigin() {
        return options.origins.isEmpty() ? "[provider.\"" + name + "\"]" : options.origins.getLast();
    }

    String sharedKey(String source) {
        return "provider:" + name + ":" + source;
    }

    @Override
    public String toString() {
        return name + matches + connectionLimit + maxMessageRate + options;
    }
}
