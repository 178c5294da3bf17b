package dev.sluice.mta.log;

/** The {@code type} of a log record, spelled as KumoMTA spells it (the enum names are the JSON values). */
public enum RecordType {
    Reception,
    Delivery,
    TransientFailure,
    Bounce,
    Expiration,
    AdminBounce,
    OOB,
    Feedback,
    Rejection,
    AdminRebind,
    DeferredInjectionRebind,
    Delayed,
    XferOut,
    XferIn
}
