package dev.sluice.bench.egress;

import java.nio.charset.StandardCharsets;

/** Builds the one message every delivery of a phase sends, so the load tool spends nothing making mail. */
final class Messages {
    private static final String LINE = "The quick brown fox jumps over the lazy dog while Sluice measures egress 0123";

    private Messages() {}

    /** An ASCII RFC 5322 message of exactly {@code size} bytes, CRLF line ends, no line starting with a dot. */
    static byte[] of(int size) {
        String head = "From: bench@sluice.test\r\nTo: sink@bench.test\r\nSubject: egress bench " + size
                + "\r\nMessage-ID: <egress-bench-" + size + "@sluice.test>\r\n\r\n";
        if (size < head.length() + 2) throw new IllegalArgumentException("message size must be at least " + (head.length() + 2));
        StringBuilder sb = new StringBuilder(size).append(head);
        // whole lines while a last, shorter line of at least CRLF still fits
        while (sb.length() + LINE.length() + 2 <= size - 2) sb.append(LINE).append("\r\n");
        sb.append("x".repeat(size - sb.length() - 2)).append("\r\n");
        byte[] out = sb.toString().getBytes(StandardCharsets.US_ASCII);
        if (out.length != size) throw new IllegalStateException("built " + out.length + " bytes, wanted " + size);
        return out;
    }
}
