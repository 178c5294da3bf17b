package dev.sluice.policy.kumo.dkim;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The body hash of RFC 6376 3.7, fed the body's bytes as they come (a 20 MB body is never on the heap at once): the
 * bytes are taken in their wire form (a bare LF counts as CRLF, a CR at the very end gets its LF, as
 * {@link SignedMessage#wireForm} makes them) and canonicalized as {@link Canonicalization#body} does, line by line:
 * empty lines are held back until a line with content follows, so those at the end are dropped; relaxed reduces each
 * run of white space to one space and drops it at the end of a line.
 */
final class BodyHash {
    private static final int BUFFER = 64 * 1024;

    private final boolean relaxed;
    private final MessageDigest sha;
    private long length; // bytes hashed
    private long emptyLines; // held back: written only if a line with content follows
    private boolean lineStarted; // the current line has content written
    private boolean pendingSpace; // relaxed: white space seen since the last content byte of this line
    private boolean pendingCr; // a CR whose next byte decides whether it ends the line
    private boolean any; // a line with content was written
    private final byte[] out = new byte[BUFFER]; // canonical bytes not hashed yet
    private int outLength;

    BodyHash(Canonicalization canonicalization) {
        this.relaxed = canonicalization == Canonicalization.RELAXED;
        try {
            this.sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Hashes the rest of {@code in}, 64 KiB at a time. */
    BodyHash update(InputStream in) throws IOException {
        byte[] buf = new byte[BUFFER];
        int n;
        while ((n = in.read(buf)) > 0) {
            update(buf, 0, n);
        }
        return this;
    }

    void update(byte[] b, int off, int len) {
        for (int i = off; i < off + len; i++) {
            byte c = b[i];
            if (pendingCr) {
                pendingCr = false;
                if (c == '\n') {
                    endLine();
                    continue;
                }
                content((byte) '\r');
            }
            if (c == '\r') {
                pendingCr = true;
            } else if (c == '\n') {
                endLine(); // a bare LF: CRLF on the wire
            } else {
                content(c);
            }
        }
    }

    private void content(byte c) {
        if (relaxed && (c == ' ' || c == '\t')) {
            pendingSpace = true;
            return;
        }
        if (!lineStarted) {
            lineStarted = true;
            for (; emptyLines > 0; emptyLines--) {
                write((byte) '\r');
                write((byte) '\n');
            }
        }
        if (pendingSpace) {
            write((byte) ' ');
            pendingSpace = false;
        }
        write(c);
    }

    private void endLine() {
        if (lineStarted) {
            write((byte) '\r');
            write((byte) '\n');
            any = true;
        } else {
            emptyLines++;
        }
        lineStarted = false;
        pendingSpace = false;
    }

    private void write(byte c) {
        if (outLength == out.length) {
            sha.update(out, 0, outLength);
            outLength = 0;
        }
        out[outLength++] = c;
        length++;
    }

    /** The hash of the canonical body; no more updates afterwards. */
    byte[] finish() {
        if (pendingCr) {
            pendingCr = false;
            endLine(); // a CR at the very end gets its LF
        }
        if (lineStarted) {
            endLine(); // the last line, without CRLF in the message
        }
        if (!any && !relaxed) {
            write((byte) '\r'); // simple: an empty body is CRLF
            write((byte) '\n');
        }
        sha.update(out, 0, outLength);
        outLength = 0;
        return sha.digest();
    }

    /** The canonical body's length (the {@code l=} tag), after {@link #finish}. */
    long length() {
        return length;
    }
}
