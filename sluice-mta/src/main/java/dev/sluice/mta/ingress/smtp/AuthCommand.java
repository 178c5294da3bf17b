package dev.sluice.mta.ingress.smtp;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * AUTH PLAIN (RFC 4954, RFC 4616), as KumoMTA offers it: only over TLS, once per session, outside a transaction.
 * The initial response may follow the mechanism or come after a {@code 334}; {@code *} cancels. The policy's
 * {@code smtp_server_auth_plain(authz, authc, password, conn_meta)} decides: {@code true} (or a table of
 * {@code identities}) gives {@code 235 2.7.0} and puts {@code authn_id}/{@code authz_id} into the connection meta,
 * hence into every message of the session; {@code false}, nil or no handler gives {@code 535 5.7.8}; a failing
 * handler {@code 454 4.7.0} (RFC 4954's temporary failure). An empty authz means authc, as in KumoMTA.
 */
final class AuthCommand implements CommandHandler {
    private static final Logger log = LoggerFactory.getLogger(AuthCommand.class);

    @Override
    public List<String> verbs() {
        return List.of("AUTH");
    }

    @Override
    public CompletionStage<SmtpReply> onCommand(SmtpSession session, String verb, String argument) {
        if (session.heloName() == null || !session.esmtp()) {
            return SmtpReply.of(503, "5.5.1", "Error: send EHLO first").now();
        }
        if (session.authnId() != null) {
            return SmtpReply.of(503, "5.5.1", "Error: already authenticated").now();
        }
        if (session.inTransaction()) {
            return SmtpReply.of(503, "5.5.1", "Error: AUTH not permitted inside a transaction").now();
        }
        String[] parts = argument.strip().split(" +", 2);
        String mechanism = parts[0].toUpperCase(Locale.ROOT);
        if (mechanism.isEmpty()) {
            return Replies.syntax("AUTH mechanism [initial-response]").now();
        }
        if (!mechanism.equals("PLAIN")) {
            return SmtpReply.of(504, "5.5.4", "Error: AUTH " + (mechanism.length() > 20 ? mechanism.substring(0, 20)
                    : mechanism).replaceAll("[^\\x21-\\x7e]", "?") + " not supported").now();
        }
        if (!session.tls()) {
            return SmtpReply.of(538, "5.7.11", "Error: AUTH PLAIN requires an encrypted channel (STARTTLS first)").now();
        }
        if (parts.length < 2) {
            session.awaitAuthResponse(true);
            return SmtpReply.of(334, null, "").now();
        }
        return check(session, parts[1].strip());
    }

    /** The line after our {@code 334}. */
    CompletionStage<SmtpReply> onResponse(SmtpSession session, String line) {
        if (line.strip().equals("*")) {
            return SmtpReply.of(501, "5.7.0", "Error: authentication cancelled").now();
        }
        return check(session, line.strip());
    }

    private CompletionStage<SmtpReply> check(SmtpSession session, String response) {
        byte[] decoded;
        try {
            decoded = Base64.getDecoder().decode(response.equals("=") ? "" : response);
        } catch (IllegalArgumentException e) {
            return SmtpReply.of(501, "5.5.2", "Error: invalid base64 in the AUTH response").now();
        }
        String[] fields = splitOnNul(decoded);
        if (fields == null) {
            return SmtpReply.of(501, "5.5.2", "Error: the PLAIN response must be authzid NUL authcid NUL passwd in UTF-8")
                    .now();
        }
        String authc = fields[1];
        String authz = fields[0].isEmpty() ? authc : fields[0];
        var event = session.services().events().authPlain(authz, authc, fields[2], session.meta());
        return event.handle((outcome, error) -> {
            if (error != null || outcome instanceof SmtpEvents.Outcome.Failed) {
                log.warn(
                        "smtp_server_auth_plain on SMTP session {} from {} failed: {}", session.connectionId(),
                        session.peer(), error != null ? error.toString() : ((SmtpEvents.Outcome.Failed) outcome).reason());
                return SmtpReply.of(454, "4.7.0", "Temporary authentication failure");
            }
            return switch (outcome) {
                case SmtpEvents.Outcome.Rejected r -> r.reply();
                case SmtpEvents.Outcome.Passed p -> accepted(session, p.value(), authz, authc);
                case SmtpEvents.Outcome.Failed f -> throw new AssertionError("handled above");
            };
        });
    }

    private static SmtpReply accepted(SmtpSession session, Object value, String authz, String authc) {
        String authn;
        String authzId;
        if (Boolean.TRUE.equals(value)) {
            authn = authc;
            authzId = authz;
        } else if (value instanceof Map<?, ?> info && info.get("identities") instanceof List<?> ids && !ids.isEmpty()) {
            // KumoMTA's AuthInfo: the identity with context SmtpAuthPlainAuthentication (else the first), and the one
            // with SmtpAuthPlainAuthorization (else the authentication identity)
            authn = identity(ids, "SmtpAuthPlainAuthentication");
            authn = authn != null ? authn : identityAt(ids.getFirst());
            authzId = identity(ids, "SmtpAuthPlainAuthorization");
            authzId = authzId != null ? authzId : authn;
        } else {
            return SmtpReply.of(535, "5.7.8", "Error: authentication credentials invalid");
        }
        if (authn == null) {
            return SmtpReply.of(535, "5.7.8", "Error: authentication credentials invalid");
        }
        session.authenticated(authn, authzId);
        return SmtpReply.of(235, "2.7.0", "Authentication successful");
    }

    private static String identity(List<?> ids, String context) {
        for (Object id : ids) {
            if (id instanceof Map<?, ?> m && context.equals(m.get("context"))) {
                return identityAt(m);
            }
        }
        return null;
    }

    private static String identityAt(Object id) {
        return id instanceof Map<?, ?> m && m.get("identity") instanceof String s ? s : null;
    }

    /** RFC 4616: {@code [authzid] NUL authcid NUL passwd}, all UTF-8, authcid not empty; null otherwise. */
    private static String[] splitOnNul(byte[] decoded) {
        int first = indexOf(decoded, 0);
        int second = first < 0 ? -1 : indexOf(decoded, first + 1);
        if (second < 0 || indexOf(decoded, second + 1) >= 0 || second == first + 1) {
            return null;
        }
        try {
            return new String[] {utf8(decoded, 0, first), utf8(decoded, first + 1, second),
                    utf8(decoded, second + 1, decoded.length)};
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    private static int indexOf(byte[] bytes, int from) {
        for (int i = from; i < bytes.length; i++) {
            if (bytes[i] == 0) {
                return i;
            }
        }
        return -1;
    }

    private static String utf8(byte[] bytes, int from, int to) throws CharacterCodingException {
        return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes, from, to - from))
                .toString();
    }
}
