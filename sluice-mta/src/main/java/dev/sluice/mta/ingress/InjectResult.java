package dev.sluice.mta.ingress;

import dev.sluice.mta.message.MessageId;

/** What became of one injected message. */
public sealed interface InjectResult {

    /** Durable in the spool (or discarded by the {@code null} queue, which also counts as accepted). */
    record Accepted(MessageId id) implements InjectResult {}

    /** Refused for good, e.g. by the policy: the ESMTP server answers this code and text. */
    record Rejected(int code, String enhancedCode, String text) implements InjectResult {}

    /** Could not be taken now (spool full, disk below min_free_space, policy error): the client should retry. */
    record TemporaryFailure(int code, String enhancedCode, String text) implements InjectResult {}
}
