package dev.sluice.policy.kumo;

import dev.sluice.policy.LuaModule;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Where {@code require} looks last for a Lua module: Sluice's bundled modules, the resources under
 * {@value #ROOT} ({@code require 'a.b'} finds {@code a/b.lua}, then {@code a/b/init.lua}). The search order is
 * the policy's directory, then {@code package.path} as Lua builds it from {@code LUA_PATH_5_4} or {@code LUA_PATH}
 * (standard semantics: {@code ;;} stands for Lua's default path), then these; so a user's copy of a module
 * always wins over the bundled one. Error messages name a bundled file {@code [sluice]/a/b.lua}.
 */
final class BundledModules implements LuaModule {
    static final String ROOT = "dev/sluice/policy/lua/";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*");

    private static final String SCRIPT = """
            local natives = ...
            local function bundled(name)
              local found = natives.find(name)
              if found == nil then return '\\n\\tno bundled module ' .. name end
              local chunk = '[sluice]/' .. found[1]
              local loader, err = load(found[2], '@' .. chunk)
              if loader == nil then
                error("error loading module '" .. name .. "' from file '" .. chunk .. "':\\n\\t" .. err, 0)
              end
              return loader, chunk
            end
            -- after the Lua file searcher (the policy's directory, then package.path), before the C ones
            table.insert(package.searchers, #package.searchers - 1, bundled)
            """;

    @Override
    public void install(Registrar r) {
        r.script("kumo.bundled", SCRIPT, Map.of("find", args -> find(String.valueOf(args.getFirst()))));
    }

    /** {@code {relative path, source}} of the bundled module {@code name}, or null. */
    static Object find(String name) {
        if (!NAME.matcher(name).matches()) {
            return null;
        }
        String base = name.replace('.', '/');
        for (String relative : new String[] {base + ".lua", base + "/init.lua"}) {
            try (InputStream in = BundledModules.class.getClassLoader().getResourceAsStream(ROOT + relative)) {
                if (in != null) {
                    return Arrays.asList(relative, new String(in.readAllBytes(), StandardCharsets.UTF_8));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return null;
    }
}
