package dev.sluice.egress.shaping;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A domain (or {@code "default"}) block merged over the files so far: its make_egress_path options, its
 * per-source overrides and its automation rules. Not thread-safe while loading; read-only afterwards.
 */
final class ShapingBlock {
    /** Options whose tables merge entry by entry instead of being replaced (named shared limits). */
    static final Set<String> MERGED_MAPS = Set.of("additional_connection_limits", "additional_message_rate_throttles",
            "additional_source_selection_rates");

    final String name;
    final Map<String, Object> params = new LinkedHashMap<>();
    final Map<String, Map<String, Object>> sources = new LinkedHashMap<>();
    /** Where each option of {@link #params} was last set, {@code file: [block]} ({@code sluice check}'s provenance). */
    final Map<String, String> paramOrigins = new LinkedHashMap<>();
    /** The same for each source's options. */
    final Map<String, Map<String, String>> sourceOrigins = new LinkedHashMap<>();
    final List<AutomationRule> automation = new ArrayList<>();
    /**
     * The first file's replace_base for this block (as KumoMTA keeps it): resolution then discards what the
     * default and provider blocks gave. A later file's replace_base discards only what earlier files said.
     */
    boolean replaceBase;
    /** Where each file's part came from, {@code file: [block]}, in order. */
    final List<String> origins = new ArrayList<>();

    ShapingBlock(String name) {
        this.name = name;
    }

    /** Merges a later file's block over this one ({@code replace_base} first discards what earlier files said). */
    void mergeFrom(ShapingBlock later) {
        if (origins.isEmpty()) {
            replaceBase = later.replaceBase;
        } else if (later.replaceBase) {
            params.clear();
            sources.clear();
            automation.clear();
            paramOrigins.clear();
            sourceOrigins.clear();
        }
        mergeParams(params, later.params);
        paramOrigins.putAll(later.paramOrigins);
        later.sources.forEach((source, p) -> mergeParams(sources.computeIfAbsent(source, s -> new LinkedHashMap<>()), p));
        later.sourceOrigins.forEach((source, o) -> sourceOrigins.computeIfAbsent(source, s -> new LinkedHashMap<>()).putAll(o));
        automation.addAll(later.automation);
        origins.addAll(later.origins);
    }

    /** Key by key; the shared-limit tables entry by entry. */
    @SuppressWarnings("unchecked")
    static void mergeParams(Map<String, Object> target, Map<String, Object> source) {
        source.forEach((key, value) -> {
            if (MERGED_MAPS.contains(key) && target.get(key) instanceof Map<?, ?> existing && value instanceof Map<?, ?> more) {
                Map<Object, Object> merged = new LinkedHashMap<>((Map<Object, Object>) existing);
                merged.putAll(more);
                target.put(key, merged);
            } else {
                target.put(key, value);
            }
        });
    }

    @Override
    public String toString() {
        return name + params + sources + automation.stream().map(AutomationRule::toLua).toList() + replaceBase;
    }
}
