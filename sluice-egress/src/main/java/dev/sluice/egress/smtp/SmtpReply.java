package dev.sluice.egress.smtp;

import java.util.List;

/** One complete (possibly multi-line) server reply as framed on the wire: the code and each line's text. */
record SmtpReply(int code, List<String> lines) {
    SmtpReply {
        lines = List.copyOf(lines);
    }
}
