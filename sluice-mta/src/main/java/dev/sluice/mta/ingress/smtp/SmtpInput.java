package dev.sluice.mta.ingress.smtp;

/** What {@link SmtpFramer} hands to the session: a command line, an over-long line, or the end of DATA. */
public sealed interface SmtpInput {

    /** One command line without its line ending (raw bytes: the session decides about the encoding). */
    record CommandLine(byte[] line) implements SmtpInput {}

    /** A command line longer than line_length_hard_limit; its bytes were discarded. */
    record LineTooLong() implements SmtpInput {}

    /**
     * The message data, dot-unstuffed, up to (not including) the terminating {@code .CRLF}.
     *
     * @param data             what was kept on the heap (empty when {@code tooBig} or {@code spilled})
     * @param spilled          the data when it was large enough to go to a file instead, else null; whoever takes
     *                         this input closes its file
     * @param tooBig           more than max_message_size bytes were sent
     * @param lineTooLong      a line exceeded line_length_hard_limit
     * @param bareLineEndings  a bare CR or LF was seen (already turned into CRLF when the mode is Fix)
     * @param spillFailure     why the data could not be written to its file (e.g. the disk is full), else null
     */
    record DataEnd(byte[] data, dev.sluice.mta.message.SpilledData spilled, boolean tooBig, boolean lineTooLong,
                   boolean bareLineEndings, java.io.IOException spillFailure) implements SmtpInput {

        /** Data kept on the heap. */
        public DataEnd(byte[] data, boolean tooBig, boolean lineTooLong, boolean bareLineEndings) {
            this(data, null, tooBig, lineTooLong, bareLineEndings, null);
        }
    }
}
