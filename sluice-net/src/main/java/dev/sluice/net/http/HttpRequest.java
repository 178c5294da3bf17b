package dev.sluice.net.http;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One aggregated HTTP request as a route handler sees it.
 *
 * @param method  upper-case method name ("GET")
 * @param path    decoded path without the query string
 * @param query   decoded query parameters, in order of appearance
 * @param headers header values keyed by lower-case name
 * @param body    request body (empty, never null)
 * @param peer    remote address of the connection
 * @param trusted whether {@code peer} is inside the listener's trusted hosts
 * @param user    the HTTP Basic user the listener's {@link BasicAuthenticator} accepted, or null
 */
public record HttpRequest(
        String method,
        String path,
        Map<String, List<String>> query,
        Map<String, List<String>> headers,
        byte[] body,
        InetSocketAddress peer,
        boolean trusted,
        String user) {

    public HttpRequest {
        query = Map.copyOf(query);
        headers = Map.copyOf(headers);
        body = body == null ? new byte[0] : body;
    }

    /** A request without Basic credentials. */
    public HttpRequest(String method, String path, Map<String, List<String>> query, Map<String, List<String>> headers,
                       byte[] body, InetSocketAddress peer, boolean trusted) {
        this(method, path, query, headers, body, peer, trusted, null);
    }

    /** First value of query parameter {@code name}, or null. */
    public String queryParam(String name) {
        List<String> values = query.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    /** First value of header {@code name} (any case), or null. */
    public String header(String name) {
        List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    public String bodyAsString() {
        return new String(body, StandardCharsets.UTF_8);
    }
}
