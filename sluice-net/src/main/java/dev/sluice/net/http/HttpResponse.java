package dev.sluice.net.http;

import java.nio.charset.StandardCharsets;

/** What a route handler answers: status, content type and a complete body. */
public record HttpResponse(int status, String contentType, byte[] body) {

    public static final String TEXT = "text/plain; charset=utf-8";
    public static final String JSON = "application/json";

    public HttpResponse {
        if (status < 100 || status > 999) {
            throw new IllegalArgumentException("bad HTTP status " + status);
        }
        contentType = contentType == null ? TEXT : contentType;
        body = body == null ? new byte[0] : body;
    }

    public static HttpResponse text(int status, String text) {
        return new HttpResponse(status, TEXT, text.getBytes(StandardCharsets.UTF_8));
    }

    public static HttpResponse json(int status, String json) {
        return new HttpResponse(status, JSON, json.getBytes(StandardCharsets.UTF_8));
    }
}
