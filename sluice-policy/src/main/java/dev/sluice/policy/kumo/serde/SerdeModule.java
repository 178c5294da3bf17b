package dev.sluice.policy.kumo.serde;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.sluice.policy.ConfigException;
import dev.sluice.policy.LuaFunction;
import dev.sluice.policy.LuaModule;
import dev.sluice.policy.kumo.LuaArgs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;

/**
 * {@code kumo.serde.*} (JSON, TOML, YAML) and the older names {@code kumo.json_*} / {@code kumo.toml_*}.
 * JSON input may contain {@code /* *}{@code /}, {@code //} and {@code #} comments. A parse error reads
 * {@code parsing <file> as json: line L, column C: reason}; the Lua error adds the calling line in front.
 */
public final class SerdeModule implements LuaModule {
    private static final JsonMapper JSON = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_JAVA_COMMENTS, JsonReadFeature.ALLOW_YAML_COMMENTS)
            .build();
    private static final TomlMapper TOML = new TomlMapper();
    private static final YAMLMapper YAML = new YAMLMapper(YAMLFactory.builder()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .build());
    /** Two-space indentation, {@code "key": value}, empty containers as {@code {}} and {@code []}. */
    private static final DefaultPrettyPrinter PRETTY = new DefaultPrettyPrinter(Separators.createDefaultInstance()
            .withObjectFieldValueSpacing(Separators.Spacing.AFTER)
            .withObjectEmptySeparator("")
            .withArrayEmptySeparator(""))
            .withObjectIndenter(new DefaultIndenter("  ", "\n"))
            .withArrayIndenter(new DefaultIndenter("  ", "\n"));

    private enum Format {
        JSON("json", SerdeModule.JSON), TOML("toml", SerdeModule.TOML), YAML("yaml", SerdeModule.YAML);

        final String name;
        final ObjectMapper mapper;

        Format(String name, ObjectMapper mapper) {
            this.name = name;
            this.mapper = mapper;
        }
    }

    @Override
    public void install(Registrar r) {
        Map<String, LuaFunction> functions = new java.util.LinkedHashMap<>();
        for (Format f : Format.values()) {
            functions.put(f.name + "_load", args -> load(f, LuaArgs.string(args, 0, "kumo.serde." + f.name + "_load")));
            functions.put(f.name + "_parse", args -> parse(f, LuaArgs.string(args, 0, "kumo.serde." + f.name + "_parse")));
            functions.put(f.name + "_encode", args -> encode(f, LuaArgs.get(args, 0), false));
        }
        functions.put("json_encode_pretty", args -> encode(Format.JSON, LuaArgs.get(args, 0), true));
        functions.put("toml_encode_pretty", args -> encode(Format.TOML, LuaArgs.get(args, 0), true));
        functions.put("toml_encode_pretty_compact", args -> TomlWriter.write(LuaData.toTree(LuaArgs.get(args, 0)), true, true));
        functions.forEach((name, fn) -> r.function("kumo.serde", name, fn));
        // The names KumoMTA had before the serde module, still used by its policy helpers.
        for (String old : new String[] {"json_load", "json_parse", "json_encode", "json_encode_pretty",
                "toml_load", "toml_parse", "toml_encode", "toml_encode_pretty"}) {
            r.kumoFunction(old, functions.get(old));
        }
    }

    /** Reads and parses a file; the result as Lua sees it. */
    public static Object load(String format, Path file) {
        return load(Format.valueOf(format.toUpperCase(java.util.Locale.ROOT)), file.toString());
    }

    private static Object load(Format f, String file) {
        String text;
        try {
            text = Files.readString(Path.of(file), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ConfigException("reading file " + file + ": no such file");
        } catch (java.nio.charset.MalformedInputException e) {
            throw new ConfigException("reading file " + file + ": not valid UTF-8 text");
        } catch (java.nio.file.AccessDeniedException e) {
            throw new ConfigException("reading file " + file + ": permission denied");
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new ConfigException("reading file " + file + ": " + e.getMessage());
        }
        return read(f, text, file);
    }

    private static Object parse(Format f, String text) {
        String shown = text.length() > 60 ? text.substring(0, 60) + "…" : text;
        return read(f, text, "'" + shown.replace("\n", "\\n") + "'");
    }

    private static Object read(Format f, String text, String what) {
        try {
            JsonNode tree = f.mapper.readTree(text);
            return LuaData.fromTree(tree);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null || at.getLineNr() < 0 ? "" : "line " + at.getLineNr() + ", column " + at.getColumnNr() + ": ";
            throw new ConfigException("parsing " + what + " as " + f.name + ": " + where + firstLine(e.getOriginalMessage()));
        }
    }

    private static String encode(Format f, Object value, boolean pretty) throws JsonProcessingException {
        JsonNode tree = LuaData.toTree(value);
        if (f == Format.TOML) {
            if (!tree.isObject()) {
                throw new ConfigException("kumo.serde.toml_encode: only a table with string keys can be a TOML document, got "
                        + LuaArgs.typeName(value));
            }
            return TomlWriter.write(tree, pretty, false);
        }
        if (f == Format.JSON && pretty) {
            return JSON.writer(PRETTY).writeValueAsString(tree);
        }
        return f.mapper.writeValueAsString(tree);
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "invalid input";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
