package dev.sluice.mta.accounting;

/** What the accounting database counts per UTC day. */
public enum AccountingKind {
    /** A message accepted and spooled (a Reception record). */
    RECEIVED("received"),
    /** A message delivered to its destination (a Delivery record). */
    DELIVERED("delivered");

    private final String jsonName;

    AccountingKind(String jsonName) {
        this.jsonName = jsonName;
    }

    /** The key used in the key-value store and in the admin JSON. */
    public String jsonName() {
        return jsonName;
    }
}
