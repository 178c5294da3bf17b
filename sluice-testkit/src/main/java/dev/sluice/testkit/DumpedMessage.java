package dev.sluice.testkit;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * One message as smtp-sink (or the aiosmtpd sink) saved it: header lines, then a blank line, then the
 * body. smtp-sink prepends {@code X-Client-Addr}, {@code X-Client-Proto}, {@code X-Helo-Args},
 * {@code X-Mail-Args}, {@code X-Rcpt-Args} to the message's own headers.
 */
public record DumpedMessage(Path file, List<Map.Entry<String, String>> headers, String body) {

    public static DumpedMessage parse(Path file) {
        String text = PeerLogs.read(file).replace("\r\n", "\n");
        List<Map.Entry<String, String>> headers = new ArrayList<>();
        int pos = 0;
        while (pos < text.length()) {
            int end = text.indexOf('\n', pos);
            if (end < 0) end = text.length();
            String line = text.substring(pos, end);
            pos = end + 1;
            if (line.isEmpty()) break;
            if ((line.startsWith(" ") || line.startsWith("\t")) && !headers.isEmpty()) {
                var last = headers.removeLast(); // folded continuation
                headers.add(Map.entry(last.getKey(), last.getValue() + "\n" + line));
                continue;
            }
            int colon = line.indexOf(':');
            if (colon <= 0) break; // not a header: treat the rest as body
            headers.add(Map.entry(line.substring(0, colon), line.substring(colon + 1).strip()));
        }
        String body = pos < text.length() ? text.substring(pos) : "";
        return new DumpedMessage(file, List.copyOf(headers), body);
    }

    /** First value of a header (case-insensitive name). */
    public Optional<String> header(String name) {
        return headers.stream().filter(h -> h.getKey().equalsIgnoreCase(name)).map(Map.Entry::getValue).findFirst();
    }

    /** All values of a header (e.g. X-Rcpt-Args once per recipient). */
    public List<String> headerValues(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return headers.stream().filter(h -> h.getKey().toLowerCase(Locale.ROOT).equals(n))
                .map(Map.Entry::getValue).toList();
    }

    /** The client IP the sink saw (smtp-sink: X-Client-Addr; aiosmtpd sink: X-Peer's address). */
    public String clientAddr() {
        return header("X-Client-Addr").orElseThrow(() -> new IllegalStateException("no X-Client-Addr in " + file));
    }

    public String helo() { return header("X-Helo-Args").orElse(""); }

    public String mailFrom() { return header("X-Mail-Args").orElse(""); }

    public List<String> rcptTo() { return headerValues("X-Rcpt-Args"); }
}
