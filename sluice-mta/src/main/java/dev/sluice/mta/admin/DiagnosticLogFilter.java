package dev.sluice.mta.admin;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.mta.ingress.http.JsonOnly;
import dev.sluice.net.http.HttpServer;
import dev.sluice.policy.ConfigException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * KumoMTA's diagnostic log filter, applied to the process's logback levels at run time:
 * {@code POST /api/admin/set_diagnostic_log_filter/v1} with {@code {"filter": "…"}} answers the same object once
 * the levels changed. A filter is a comma-separated list of directives, as in KumoMTA: a bare level
 * ({@code trace}, {@code debug}, {@code info}, {@code warn}, {@code error}, {@code off}) for every logger, or
 * {@code target=level} for one target: {@code kumod} and {@code sluice} mean all of Sluice ({@code dev.sluice}),
 * any other target is a logger name ({@code ::} read as {@code .}, e.g. {@code dev.sluice.mta.queue} or
 * {@code io.netty}). Each filter replaces the previous one: levels it does not name go back to the
 * configuration's. A malformed filter changes nothing and gets 400 naming the directive.
 */
public final class DiagnosticLogFilter {
    public static final String PATH = "/api/admin/set_diagnostic_log_filter/v1";
    private static final Logger LOG = LoggerFactory.getLogger(DiagnosticLogFilter.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> LEVELS = Set.of("trace", "debug", "info", "warn", "error", "off");
    /** Logback's levels are process-wide: so is what the last filter changed (logger name → level before it). */
    private static final Map<String, Level> CHANGED = new LinkedHashMap<>(); // guarded by the class

    private DiagnosticLogFilter() {}

    /** One directive: {@code target} null for every logger. */
    record Directive(String target, String level) {}

    public static void install(HttpServer server) {
        server.route("POST", PATH, HttpServer.Access.TRUSTED, new JsonOnly(AdminRoutes.offLoop(request -> {
            Object body;
            try {
                body = JSON.readValue(request.body(), Object.class);
            } catch (java.io.IOException e) {
                throw new ConfigException("set_diagnostic_log_filter: the body is not JSON");
            }
            if (!(body instanceof Map<?, ?> m) || !(m.get("filter") instanceof String filter)) {
                throw new ConfigException("set_diagnostic_log_filter: the body must be {\"filter\": \"…\"}");
            }
            apply(filter);
            return dev.sluice.net.http.HttpResponse.json(200, JSON.writeValueAsString(Map.of("filter", filter)));
        })));
    }

    /** Parses {@code spec}. @throws ConfigException naming the directive that is wrong */
    static List<Directive> parse(String spec) {
        List<Directive> out = new ArrayList<>();
        for (String part : spec.split(",")) {
            String d = part.strip();
            if (d.isEmpty()) {
                continue;
            }
            int eq = d.indexOf('=');
            String target = eq < 0 ? null : d.substring(0, eq).strip();
            String level = (eq < 0 ? d : d.substring(eq + 1)).strip().toLowerCase(Locale.ROOT);
            if (eq < 0 && !LEVELS.contains(level)) { // a bare target means "everything from it" in KumoMTA
                target = d;
                level = "trace";
            }
            if (!LEVELS.contains(level)) {
                throw new ConfigException("set_diagnostic_log_filter: '" + d + "': unknown level '" + level
                        + "' (expected one of trace, debug, info, warn, error, off)");
            }
            if (target != null && (target.isEmpty() || !target.matches("[A-Za-z0-9_.:$-]+"))) {
                throw new ConfigException("set_diagnostic_log_filter: '" + d + "': '" + target
                        + "' is not a target name");
            }
            out.add(new Directive(target, level));
        }
        if (out.isEmpty()) {
            throw new ConfigException("set_diagnostic_log_filter: the filter is empty");
        }
        return out;
    }

    /** Applies {@code spec} to logback's levels, undoing what the previous filter changed. */
    public static void apply(String spec) {
        List<Directive> directives = parse(spec);
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            throw new IllegalStateException("the diagnostic log is not logback: its filter cannot be changed");
        }
        synchronized (DiagnosticLogFilter.class) {
            CHANGED.forEach((name, before) -> context.getLogger(name).setLevel(before));
            CHANGED.clear();
            for (Directive d : directives) {
                String name = loggerName(d.target());
                ch.qos.logback.classic.Logger logger = context.getLogger(name);
                CHANGED.putIfAbsent(name, logger.getLevel());
                logger.setLevel(Level.toLevel(d.level()));
            }
        }
        LOG.info("diagnostic log filter set to '{}'", spec);
    }

    private static String loggerName(String target) {
        if (target == null) {
            return org.slf4j.Logger.ROOT_LOGGER_NAME;
        }
        return switch (target) {
            case "kumod", "sluice" -> "dev.sluice";
            default -> target.replace("::", ".");
        };
    }
}
