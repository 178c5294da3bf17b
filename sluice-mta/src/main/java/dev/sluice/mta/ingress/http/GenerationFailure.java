package dev.sluice.mta.ingress.http;

/** The message for one recipient could not be generated; that recipient fails, the others go on. */
final class GenerationFailure extends Exception {
    GenerationFailure(String message) {
        super(message, null, false, false);
    }
}
