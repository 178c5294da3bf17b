package dev.sluice.policy.kumo;

import dev.sluice.policy.LuaModule;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What {@code require} finds beyond the policy's own files:
 * <ul>
 *   <li>{@code require 'kumo.regex'} (and any other {@code kumo.X}) returns the {@code kumo.X} table, as
 *       KumoMTA's documentation writes it; {@code require 'kumo'} already returns the {@code kumo} global.
 *       Only names that exist as tables under {@code kumo} are found; anything else falls through to the
 *       other searchers (so a policy's own {@code kumo/x.lua} still loads).</li>
 *   <li>Sluice's bundled Lua modules ({@code require 'policy-extras.sources'}, …), searched last, after the
 *       policy's directory and {@code package.path}, so that a policy's own copy of a module wins. Their
 *       errors read {@code policy-extras/sources.lua:LINE: …}.</li>
 * </ul>
 */
final class RequireModule implements LuaModule {
    /** Where the bundled modules are on the class path: {@code policy-extras.sources} is {@code policy-extras/sources.lua} below it. */
    static final String BUNDLED_ROOT = "dev/sluice/policy/lua/";

    private static final Pattern MODULE_NAME = Pattern.compile("[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*");

    private static final String SCRIPT = """
            local natives = ...
            local kumo = package.loaded.kumo
            table.insert(package.searchers, 2, function(name)
              local path = name:match('^kumo%.(.+)$')
              if path == nil then return nil end
              local t = kumo
              for part in path:gmatch('[^.]+') do
                t = type(t) == 'table' and rawget(t, part) or nil
              end
              if type(t) ~= 'table' then
                return '\\n\\tno kumo module ' .. name
              end
              return function() return t end, ':kumo'
            end)
            table.insert(package.searchers, function(name)
              local found = natives.bundled(name)
              if found == nil then
                return '\\n\\tno bundled Sluice module ' .. name
              end
              local chunk, err = load(found.source, '@' .. found.file, 't')
              if chunk == nil then
                error(err, 0)
              end
              return chunk, found.file
            end)
            """;

    @Override
    public void install(Registrar r) {
        r.script("kumo.require", SCRIPT, Map.of("bundled", args -> {
            String name = args.isEmpty() || !(args.getFirst() instanceof String s) ? null : s;
            return bundled(name);
        }));
    }

    /** The bundled module's {@code file} name and {@code source}, or null when there is no such module. */
    static Map<String, Object> bundled(String name) {
        if (name == null || !MODULE_NAME.matcher(name).matches()) {
            return null;
        }
        String file = name.replace('.', '/') + ".lua";
        try (InputStream in = RequireModule.class.getClassLoader().getResourceAsStream(BUNDLED_ROOT + file)) {
            if (in == null) {
                return null;
            }
            return Map.of("file", file, "source", new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("reading bundled module " + name, e);
        }
    }
}
