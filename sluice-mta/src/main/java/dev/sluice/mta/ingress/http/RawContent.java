package dev.sluice.mta.ingress.http;

/** Checks that raw content is an RFC 5322 message: header fields, then an empty line and the body. */
final class RawContent {
    private RawContent() {}

    /**
     * @param crlf the content after CRLF normalisation
     * @return null when it is a message, otherwise what is wrong with it
     */
    static String problem(String crlf) {
        int start = 0;
        int line = 1;
        while (start < crlf.length()) {
            int end = crlf.indexOf("\r\n", start);
            if (end < 0) {
                end = crlf.length();
            }
            if (end == start) {
                return null; // the empty line: headers end, the body follows
            }
            char first = crlf.charAt(start);
            if (first == ' ' || first == '\t') {
                if (line == 1) {
                    return "line 1 starts with white space, so it cannot be a header field";
                }
            } else {
                int colon = crlf.indexOf(':', start);
                if (colon < 0 || colon > end || !Syntax.isHeaderName(crlf.substring(start, colon).stripTrailing())) {
                    String text = crlf.substring(start, Math.min(end, start + 60));
                    return "line " + line + " is not a header field ('Name: value') and no empty line came before "
                            + "it to start the body: '" + text + "'";
                }
            }
            start = end + 2;
            line++;
        }
        return null;
    }
}
