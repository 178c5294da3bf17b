package dev.sluice.net.http;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The user and password of an {@code Authorization: Basic} header (RFC 7617): base64 of {@code user:password} in
 * UTF-8, split at the first colon; without a colon the password is null (KumoMTA passes it as missing).
 */
record BasicCredentials(String user, String password) {

    /** The credentials, or null when the header is not Basic or its value is not base64 of UTF-8 text. */
    static BasicCredentials parse(String authorization) {
        int space = authorization.indexOf(' ');
        if (space < 0 || !authorization.substring(0, space).equalsIgnoreCase("Basic")) {
            return null;
        }
        String decoded;
        try {
            byte[] bytes = Base64.getDecoder().decode(authorization.substring(space + 1).strip());
            decoded = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (IllegalArgumentException | CharacterCodingException e) {
            return null;
        }
        int colon = decoded.indexOf(':');
        return colon < 0 ? new BasicCredentials(decoded, null)
                : new BasicCredentials(decoded.substring(0, colon), decoded.substring(colon + 1));
    }
}
