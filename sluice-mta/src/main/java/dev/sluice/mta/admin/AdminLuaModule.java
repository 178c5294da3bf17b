package dev.sluice.mta.admin;

import dev.sluice.policy.LuaModule;
import java.util.List;

/**
 * KumoMTA's {@code kumo.api.admin.*} for the policy (what its {@code policy-extras/shaping.lua} calls to apply
 * Traffic Shaping Automation actions), over the same {@link AdminControl} as the HTTP admin API:
 * <ul>
 *   <li>{@code kumo.api.admin.bounce.bounce{domain?, campaign?, tenant?, routing_domain?, queue_names?, reason,
 *       duration? | expires?, suppress_logging?}} → the new entry's id (a UUID string); {@code .list()} → the
 *       entries (KumoMTA's list entries: {@code bounced}, {@code total_bounced}, {@code duration} left, …);
 *       {@code .delete(id)} → true when it was there.</li>
 *   <li>{@code kumo.api.admin.suspend.suspend{domain?, campaign?, tenant?, queue_names?, reason, duration? |
 *       expires?}}, {@code .list()}, {@code .delete(id)}: scheduled-queue suspensions.</li>
 *   <li>{@code kumo.api.admin.suspend_ready_q.suspend{name, reason, duration? | expires?}}, {@code .list()},
 *       {@code .delete(id)}: ready-queue suspensions ({@code name} = {@code source->site}).</li>
 * </ul>
 * A bad table raises at the caller's {@code file:line}. Under {@code sluice check} the entries are kept by an
 * {@link AdminControl} that is never attached: nothing queued is touched and nothing is written.
 */
public final class AdminLuaModule implements LuaModule {
    static final String MODULE = "kumo.api.admin.";

    private final AdminControl admin;

    public AdminLuaModule(AdminControl admin) {
        this.admin = admin;
    }

    @Override
    public void install(Registrar registrar) {
        String bounce = MODULE + AdminControl.Kind.BOUNCE.luaName;
        registrar.function(bounce, "bounce", args -> admin.bounce(first(args)).id().toString());
        lists(registrar, bounce, AdminControl.Kind.BOUNCE);
        String suspend = MODULE + AdminControl.Kind.SUSPEND.luaName;
        registrar.function(suspend, "suspend", args -> admin.suspend(first(args)).id().toString());
        lists(registrar, suspend, AdminControl.Kind.SUSPEND);
        String ready = MODULE + AdminControl.Kind.SUSPEND_READY_Q.luaName;
        registrar.function(ready, "suspend", args -> admin.suspendReadyQueue(first(args)).id().toString());
        lists(registrar, ready, AdminControl.Kind.SUSPEND_READY_Q);
    }

    private void lists(Registrar registrar, String module, AdminControl.Kind kind) {
        registrar.function(module, "list", args -> admin.views(kind).stream().map(AdminRequests::withoutNulls).toList());
        registrar.function(module, "delete", args -> admin.delete(kind, AdminRequests.id(first(args))));
    }

    private static Object first(List<Object> args) {
        return args.isEmpty() ? null : args.getFirst();
    }
}
