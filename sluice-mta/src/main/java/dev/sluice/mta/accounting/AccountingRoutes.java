package dev.sluice.mta.accounting;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.net.http.HttpResponse;
import dev.sluice.net.http.HttpServer;

/** {@code GET /api/admin/accounting/v1}: {@code {"2026-11-23": {"received": N, "delivered": M}, …}} (trusted peers). */
public final class AccountingRoutes {
    public static final String PATH = "/api/admin/accounting/v1";
    private static final ObjectMapper JSON = new ObjectMapper();

    private AccountingRoutes() {}

    public static void install(HttpServer server, AccountingDb db) {
        server.get(PATH, HttpServer.Access.TRUSTED, request -> HttpResponse.json(200, render(db)));
    }

    static String render(AccountingDb db) throws Exception {
        ObjectNode root = JSON.createObjectNode();
        db.all().forEach((day, c) -> {
            ObjectNode n = root.putObject(day.toString());
            for (AccountingKind k : AccountingKind.values()) {
                n.put(k.jsonName(), c.get(k));
            }
        });
        return JSON.writeValueAsString(root);
    }
}
