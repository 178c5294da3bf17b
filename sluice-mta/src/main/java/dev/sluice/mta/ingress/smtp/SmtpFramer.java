package dev.sluice.mta.ingress.smtp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * Cuts the byte stream into {@link SmtpInput}s: command lines (ended by LF, an optional CR before it is dropped)
 * and, after {@link #startData}, one {@link SmtpInput.DataEnd} per message.
 *
 * <p>DATA ends only at CRLF.CRLF: the line "." counts as the end only when it ends in CRLF and the line before
 * it ended in CRLF too, so {@code \n.\r\n} or {@code \r.\r\n} never end a message (SMTP smuggling). A leading dot
 * is removed from every line (dot-unstuffing). Memory stays bounded: an over-long line and data beyond
 * max_message_size are scanned for the terminator but not kept.
 *
 * <p>Frames are handed on one at a time, and the session can {@link #pause} the framer while a reply is
 * pending: pipelined commands then wait in the buffer and are processed in order once it {@link #resume}s.
 */
public final class SmtpFramer extends ChannelInboundHandlerAdapter {
    private static final byte CR = '\r';
    private static final byte LF = '\n';

    private ChannelHandlerContext ctx;
    private ByteBuf buffer;
    private int lineLimit;
    private boolean paused;
    private boolean draining;
    /** The current line is over the limit: drop bytes up to its LF. */
    private boolean skipping;
    private boolean skippedEndsWithCr;

    private boolean dataMode;
    private long maxSize;
    private InvalidLineEndings lineEndings;
    private DataChunks data;
    private boolean previousLineCrlf;
    private boolean tooBig;
    private boolean dataLineTooLong;
    private boolean bareLineEndings;

    public SmtpFramer(int lineLengthHardLimit) {
        this.lineLimit = lineLengthHardLimit;
    }

    /** Changes the line limit for the following lines (after a PROXY header re-resolved the params). */
    public void lineLimit(int limit) {
        this.lineLimit = limit;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.buffer = ctx.alloc().heapBuffer();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (data != null) {
            data.discard(); // the session ended mid-DATA: nothing of the message is left behind
            data = null;
        }
        if (buffer != null) {
            buffer.release();
            buffer = null;
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in)) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            buffer.writeBytes(in);
        } finally {
            in.release();
        }
        drain();
    }

    /** Stop handing on frames (and reading) until {@link #resume}. */
    public void pause() {
        paused = true;
        ctx.channel().config().setAutoRead(false);
    }

    /** Hand on what is buffered, then read again. Call on the event loop. */
    public void resume() {
        paused = false;
        ctx.channel().config().setAutoRead(true);
        drain();
    }

    /** Reads message data from the next byte on, until CRLF.CRLF, on the heap. */
    public void startData(long maxMessageSize, InvalidLineEndings mode) {
        startData(maxMessageSize, mode, null);
    }

    /**
     * Reads message data from the next byte on, until CRLF.CRLF; past {@link DataChunks#SPILL_AT} bytes it goes to a
     * file in {@code spillDirectory} (null: kept on the heap).
     */
    public void startData(long maxMessageSize, InvalidLineEndings mode, java.nio.file.Path spillDirectory) {
        dataMode = true;
        maxSize = maxMessageSize;
        lineEndings = mode;
        data = new DataChunks(spillDirectory, DataChunks.SPILL_AT);
        previousLineCrlf = true; // the DATA command's own CRLF
        tooBig = false;
        dataLineTooLong = false;
        bareLineEndings = false;
    }

    /** Drops what the client sent after STARTTLS in clear (it must not be taken as sent over TLS). */
    public void discardBuffered() {
        buffer.skipBytes(buffer.readableBytes());
    }

    private void drain() {
        if (draining || buffer == null) {
            return;
        }
        draining = true;
        try {
            while (!paused && buffer != null && ctx.channel().isActive()) {
                SmtpInput frame = dataMode ? nextData() : nextCommand();
                if (frame == null) {
                    break;
                }
                ctx.fireChannelRead(frame);
            }
            if (buffer != null) {
                buffer.discardSomeReadBytes();
            }
        } finally {
            draining = false;
        }
    }

    private SmtpInput nextCommand() {
        int start = buffer.readerIndex();
        int lf = buffer.indexOf(start, buffer.writerIndex(), LF);
        if (lf < 0) {
            if (buffer.readableBytes() > lineLimit + 1) {
                skipping = true;
                buffer.skipBytes(buffer.readableBytes());
            }
            return null;
        }
        int length = lf - start;
        boolean crlf = length > 0 && buffer.getByte(lf - 1) == CR;
        int contentLength = crlf ? length - 1 : length;
        if (skipping || contentLength > lineLimit) {
            skipping = false;
            buffer.readerIndex(lf + 1);
            return new SmtpInput.LineTooLong();
        }
        byte[] line = new byte[contentLength];
        buffer.getBytes(start, line);
        buffer.readerIndex(lf + 1);
        return new SmtpInput.CommandLine(line);
    }

    private SmtpInput nextData() {
        while (true) {
            int start = buffer.readerIndex();
            int lf = buffer.indexOf(start, buffer.writerIndex(), LF);
            if (lf < 0) {
                if (buffer.readableBytes() > lineLimit + 1) {
                    dataLineTooLong = true;
                    skipping = true;
                    skippedEndsWithCr = buffer.getByte(buffer.writerIndex() - 1) == CR;
                    buffer.skipBytes(buffer.readableBytes());
                }
                return null;
            }
            int length = lf - start;
            if (skipping) {
                // the rest of an over-long line: only its ending matters, for finding the terminator
                boolean crlf = length > 0 ? buffer.getByte(lf - 1) == CR : skippedEndsWithCr;
                skipping = false;
                bareLineEndings |= !crlf;
                previousLineCrlf = crlf;
                buffer.readerIndex(lf + 1);
                continue;
            }
            boolean crlf = length > 0 && buffer.getByte(lf - 1) == CR;
            int contentLength = crlf ? length - 1 : length;
            if (previousLineCrlf && crlf && contentLength == 1 && buffer.getByte(start) == '.') {
                buffer.readerIndex(lf + 1);
                return endData();
            }
            if (!crlf) {
                bareLineEndings = true;
            }
            if (contentLength > lineLimit) {
                // rejected anyway; dropped so that the result does not depend on packet boundaries
                dataLineTooLong = true;
                previousLineCrlf = crlf;
                buffer.readerIndex(lf + 1);
                continue;
            }
            int from = start;
            if (contentLength > 0 && buffer.getByte(start) == '.') {
                from++;
                contentLength--;
            }
            appendLine(from, contentLength, crlf);
            previousLineCrlf = crlf;
            buffer.readerIndex(lf + 1);
        }
    }

    private void appendLine(int from, int contentLength, boolean crlf) {
        boolean hasCr = buffer.indexOf(from, from + contentLength, CR) >= 0;
        bareLineEndings |= hasCr;
        if (tooBig) {
            return;
        }
        boolean fix = lineEndings == InvalidLineEndings.FIX;
        byte[] line = new byte[contentLength];
        buffer.getBytes(from, line);
        int ending = crlf || fix ? 2 : 1;
        // Fix turns each bare CR into CRLF: those LFs count against max_message_size too
        int added = fix && hasCr ? count(line, CR) : 0;
        if (data.size() + (long) contentLength + added + ending > maxSize) {
            tooBig = true;
            data.discard(); // what was kept is refused anyway: let it go now, not at the end
            return;
        }
        if (fix && hasCr) {
            for (byte b : line) {
                data.write(b);
                if (b == CR) {
                    data.write(LF);
                }
            }
        } else {
            data.write(line, 0, line.length);
        }
        if (crlf || fix) {
            data.write(CR);
        }
        data.write(LF);
    }

    private static int count(byte[] bytes, byte b) {
        int n = 0;
        for (byte x : bytes) {
            if (x == b) {
                n++;
            }
        }
        return n;
    }

    private SmtpInput endData() {
        dataMode = false;
        DataChunks d = data;
        data = null;
        if (tooBig) {
            return new SmtpInput.DataEnd(new byte[0], true, dataLineTooLong, bareLineEndings);
        }
        if (d.failure() != null) {
            return new SmtpInput.DataEnd(new byte[0], null, false, dataLineTooLong, bareLineEndings, d.failure());
        }
        if (d.spilled()) {
            try {
                return new SmtpInput.DataEnd(new byte[0], d.takeSpilled(), false, dataLineTooLong, bareLineEndings,
                        null);
            } catch (java.io.IOException e) {
                return new SmtpInput.DataEnd(new byte[0], null, false, dataLineTooLong, bareLineEndings, e);
            }
        }
        return new SmtpInput.DataEnd(d.take(), tooBig, dataLineTooLong, bareLineEndings);
    }
}
