package dev.sluice.policy.kumo.http;

import dev.sluice.policy.LuaObject;
import dev.sluice.policy.kumo.LuaArgs;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A received response: {@code status_code}, {@code status_reason}, {@code status_is_*}, {@code headers},
 * {@code content_length}, {@code text}, {@code bytes}. Unlike KumoMTA's, every method may be called any number
 * of times (the body is already read in full).
 */
final class LuaHttpResponse implements LuaObject {
    private final HttpClient.Reply reply;

    LuaHttpResponse(HttpClient.Reply reply) {
        this.reply = reply;
    }

    @Override
    public String typeName() {
        return "HttpResponse";
    }

    @Override
    public Object index(Object key) {
        int status = reply.status();
        return switch (String.valueOf(key)) {
            case "status_code" -> LuaObject.method(this, args -> (long) status);
            case "status_reason" -> LuaObject.method(this, args -> reason(status));
            case "status_is_informational" -> LuaObject.method(this, args -> status >= 100 && status < 200);
            case "status_is_success" -> LuaObject.method(this, args -> status >= 200 && status < 300);
            case "status_is_redirection" -> LuaObject.method(this, args -> status >= 300 && status < 400);
            case "status_is_client_error" -> LuaObject.method(this, args -> status >= 400 && status < 500);
            case "status_is_server_error" -> LuaObject.method(this, args -> status >= 500 && status < 600);
            case "headers" -> LuaObject.method(this, args -> new Headers(reply));
            case "content_length" -> LuaObject.method(this, args -> contentLength());
            case "bytes" -> LuaObject.method(this, args -> LuaArgs.luaString(reply.body()));
            case "text" -> LuaObject.method(this, args -> text(reply));
            default -> null;
        };
    }

    /** The standard reason phrase of {@code code}, or null for a code with none. */
    static String reason(int code) {
        HttpResponseStatus status = HttpResponseStatus.valueOf(code);
        return status == HttpResponseStatus.valueOf(code) ? status.reasonPhrase() : null; // unknown codes: a new object each time
    }

    private Long contentLength() {
        String v = first(reply, "content-length");
        try {
            return v == null ? null : Long.parseLong(v.strip());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** The body decoded by BOM, else the Content-Type charset, else UTF-8; malformed input replaced. */
    static String text(HttpClient.Reply reply) {
        byte[] b = reply.body();
        if (b.length >= 3 && (b[0] & 0xFF) == 0xEF && (b[1] & 0xFF) == 0xBB && (b[2] & 0xFF) == 0xBF) {
            return new String(b, 3, b.length - 3, StandardCharsets.UTF_8);
        }
        if (b.length >= 2 && (b[0] & 0xFF) == 0xFE && (b[1] & 0xFF) == 0xFF) {
            return new String(b, 2, b.length - 2, StandardCharsets.UTF_16BE);
        }
        if (b.length >= 2 && (b[0] & 0xFF) == 0xFF && (b[1] & 0xFF) == 0xFE) {
            return new String(b, 2, b.length - 2, StandardCharsets.UTF_16LE);
        }
        return new String(b, charset(first(reply, "content-type")));
    }

    private static Charset charset(String contentType) {
        if (contentType != null) {
            for (String param : contentType.split(";")) {
                String p = param.strip();
                if (p.toLowerCase(Locale.ROOT).startsWith("charset=")) {
                    try {
                        return Charset.forName(p.substring(8).replace("\"", "").strip());
                    } catch (IllegalArgumentException unknown) {
                        return StandardCharsets.UTF_8;
                    }
                }
            }
        }
        return StandardCharsets.UTF_8;
    }

    private static String first(HttpClient.Reply reply, String lowerName) {
        return reply.headers().stream().filter(h -> h.getKey().equals(lowerName)).map(Map.Entry::getValue)
                .findFirst().orElse(null);
    }

    /** The header map: indexed without case ({@code h['Content-Type']}), iterated by {@code pairs} (lower-case names). */
    static final class Headers implements LuaObject {
        private final HttpClient.Reply reply;

        Headers(HttpClient.Reply reply) {
            this.reply = reply;
        }

        @Override
        public String typeName() {
            return "HeaderMap";
        }

        @Override
        public Object index(Object key) {
            return first(reply, String.valueOf(key).toLowerCase(Locale.ROOT));
        }

        @Override
        public Map<?, ?> entries() {
            Map<String, String> out = new LinkedHashMap<>();
            reply.headers().forEach(h -> out.putIfAbsent(h.getKey(), h.getValue()));
            return out;
        }

        @Override
        public Long length() {
            return (long) entries().size();
        }

        @Override
        public String display() {
            return "HeaderMap" + Arrays.toString(entries().keySet().toArray());
        }
    }
}
