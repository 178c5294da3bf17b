package dev.sluice.policy.kumo.http;

import dev.sluice.policy.ConfigException;
import dev.sluice.policy.Durations;
import dev.sluice.policy.LuaBytes;
import dev.sluice.policy.LuaObject;
import dev.sluice.policy.kumo.LuaArgs;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * A request not sent yet: {@code header}, {@code headers}, {@code basic_auth}, {@code bearer_auth}, {@code body},
 * {@code form_url_encoded}, {@code form_multipart_data}, {@code timeout} (each returns the request, so calls chain)
 * and {@code send()}, which blocks the calling Lua thread until the response is there.
 */
final class LuaHttpRequest implements LuaObject {
    private final HttpClient client;
    private final String method;
    private final URI uri;
    // guarded by this
    private final List<Map.Entry<String, String>> headers = new ArrayList<>();
    private byte[] body = new byte[0];
    private Duration timeout;

    LuaHttpRequest(HttpClient client, String method, URI uri) {
        this.client = client;
        this.method = method;
        this.uri = uri;
        this.timeout = client.options().timeout();
    }

    @Override
    public String typeName() {
        return "HttpRequest";
    }

    @Override
    public Object index(Object key) {
        return switch (String.valueOf(key)) {
            case "header" -> chained(args -> header(LuaArgs.string(args, 0, "request:header"),
                    LuaArgs.string(args, 1, "request:header")));
            case "headers" -> chained(args -> LuaArgs.table(args, 0, "request:headers")
                    .forEach((k, v) -> header(k, text(v, "request:headers"))));
            case "basic_auth" -> chained(args -> {
                String user = LuaArgs.string(args, 0, "request:basic_auth");
                String password = LuaArgs.optString(args, 1, "request:basic_auth");
                String pair = user + ":" + (password == null ? "" : password);
                header("Authorization", "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8)));
            });
            case "bearer_auth" -> chained(args -> header("Authorization", "Bearer " + LuaArgs.string(args, 0, "request:bearer_auth")));
            case "body" -> chained(args -> body(LuaArgs.bytes(args, 0, "request:body"), null));
            case "form_url_encoded" -> chained(args -> formUrlEncoded(LuaArgs.table(args, 0, "request:form_url_encoded")));
            case "form_multipart_data" -> chained(args -> multipart(LuaArgs.table(args, 0, "request:form_multipart_data")));
            case "timeout" -> chained(args -> {
                Duration d = Durations.parse(LuaArgs.get(args, 0));
                if (d.isZero() || d.isNegative()) {
                    throw new ConfigException("request:timeout: the duration must be more than 0");
                }
                synchronized (this) {
                    timeout = d;
                }
            });
            case "aws_sign_v4" -> LuaObject.method(this, args -> {
                throw new ConfigException("request:aws_sign_v4 is not implemented by Sluice");
            });
            case "send" -> LuaObject.method(this, args -> new LuaHttpResponse(client.send(snapshot())));
            default -> null;
        };
    }

    @FunctionalInterface
    private interface Change {
        void apply(List<Object> args) throws Exception;
    }

    /** A method that changes the request and returns it, so {@code r:header(...):body(...)} chains. */
    private Object chained(Change change) {
        return LuaObject.method(this, args -> {
            change.apply(args);
            return this;
        });
    }

    private synchronized void header(String name, String value) {
        headers.add(Map.entry(name, value));
    }

    private synchronized void body(byte[] bytes, String contentType) {
        body = bytes;
        if (contentType != null) {
            headers.removeIf(h -> h.getKey().equalsIgnoreCase("Content-Type"));
            headers.add(Map.entry("Content-Type", contentType));
        }
    }

    private synchronized HttpClient.Request snapshot() {
        return new HttpClient.Request(method, uri, headers, body, timeout);
    }

    private void formUrlEncoded(Map<String, Object> params) {
        StringBuilder b = new StringBuilder();
        for (var e : new TreeMap<>(params).entrySet()) { // Lua tables have no order; sorted keys are stable
            if (!b.isEmpty()) {
                b.append('&');
            }
            b.append(URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)).append('=')
                    .append(URLEncoder.encode(text(e.getValue(), "request:form_url_encoded"), StandardCharsets.UTF_8));
        }
        body(b.toString().getBytes(StandardCharsets.UTF_8), "application/x-www-form-urlencoded");
    }

    private void multipart(Map<String, Object> params) {
        String boundary = UUID.randomUUID().toString().replace("-", "");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (var e : new TreeMap<>(params).entrySet()) {
            out.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + e.getKey().replace("\"", "%22")
                    + "\"\r\n").getBytes(StandardCharsets.UTF_8));
            if (e.getValue() instanceof LuaBytes binary) {
                out.writeBytes("Content-Type: application/octet-stream\r\n\r\n".getBytes(StandardCharsets.UTF_8));
                out.writeBytes(binary.bytes());
            } else {
                out.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
                out.writeBytes(text(e.getValue(), "request:form_multipart_data").getBytes(StandardCharsets.UTF_8));
            }
            out.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
        }
        out.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        body(out.toByteArray(), "multipart/form-data; boundary=" + boundary);
    }

    private static String text(Object value, String function) {
        return switch (value) {
            case String s -> s;
            case Long l -> l.toString();
            case Double d -> d.toString();
            case Boolean b -> b.toString();
            case null, default -> throw new ConfigException(function + ": values must be strings, got "
                    + LuaArgs.typeName(value));
        };
    }
}
