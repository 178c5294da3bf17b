package dev.sluice.policy.kumo.http;

import dev.sluice.policy.ConfigException;
import dev.sluice.policy.LuaObject;
import dev.sluice.policy.kumo.LuaArgs;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/** The client object of {@code kumo.http.build_client}: {@code get}, {@code post}, {@code put}, {@code close}. */
final class LuaHttpClient implements LuaObject {
    private final HttpClient client;

    LuaHttpClient(HttpClient client) {
        this.client = client;
    }

    @Override
    public String typeName() {
        return "HttpClient";
    }

    @Override
    public Object index(Object key) {
        return switch (String.valueOf(key)) {
            case "get" -> LuaObject.method(this, args -> request("GET", args));
            case "post" -> LuaObject.method(this, args -> request("POST", args));
            case "put" -> LuaObject.method(this, args -> request("PUT", args));
            case "close" -> LuaObject.method(this, args -> {
                client.close();
                return null;
            });
            default -> null;
        };
    }

    private LuaHttpRequest request(String method, java.util.List<Object> args) {
        String function = "client:" + method.toLowerCase(Locale.ROOT);
        return new LuaHttpRequest(client, method, url(LuaArgs.string(args, 0, function), function, "http", "https"));
    }

    /** An absolute URL with a host and one of {@code schemes} (lower case). */
    static URI url(String text, String function, String... schemes) {
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw new ConfigException(function + ": invalid URL '" + text + "': " + e.getReason());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!java.util.List.of(schemes).contains(scheme)) {
            throw new ConfigException(function + ": invalid URL '" + text + "': the scheme must be "
                    + String.join(" or ", schemes));
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw new ConfigException(function + ": invalid URL '" + text + "': no host");
        }
        return uri;
    }
}
