package dev.sluice.mta.app;

import dev.sluice.egress.dns.DnsPolicyModule;
import dev.sluice.egress.dns.Resolvers;
import dev.sluice.egress.nats.NatsPolicyModule;
import dev.sluice.egress.shaping.ShapingModule;
import dev.sluice.mta.admin.AdminControl;
import dev.sluice.mta.admin.AdminLuaModule;
import dev.sluice.mta.accounting.AccountingLuaModule;
import dev.sluice.mta.ingress.http.HttpListenerModule;
import dev.sluice.mta.ingress.smtp.EsmtpListenerModule;
import dev.sluice.mta.log.BounceClassifierModule;
import dev.sluice.mta.log.LogsPolicyModule;
import dev.sluice.mta.policy.ListenerDomain;
import dev.sluice.mta.policy.MakeMessage;
import dev.sluice.mta.spool.SpoolDefinitions;
import dev.sluice.mta.spool.SpoolLuaModule;
import dev.sluice.policy.LuaModule;
import dev.sluice.policy.egress.EgressPolicyModule;
import java.util.List;

/**
 * Every Lua module {@code sluice mta} installs: listeners, spool, logs, accounting, DNS, shaping, egress. Each only records
 * what the policy's {@code init} asks for (nothing is bound, opened or written by the Lua call); {@link MtaApp}
 * then starts it, while {@code sluice check} installs the same modules and starts nothing. Add a module here, not
 * in one of them, so that both see it.
 */
public final class MtaModules {
    private final EgressPolicyModule egress = new EgressPolicyModule();
    private final EsmtpListenerModule esmtp = new EsmtpListenerModule();
    private final HttpListenerModule http = new HttpListenerModule();
    private final LogsPolicyModule logs = new LogsPolicyModule();
    private final SpoolDefinitions spools = new SpoolDefinitions();
    private final AccountingLuaModule accounting = new AccountingLuaModule();
    private final BounceClassifierModule bounceClassifier = new BounceClassifierModule();
    private final NatsPolicyModule nats = new NatsPolicyModule();
    private final AdminControl admin = new AdminControl(java.time.Clock.systemUTC());
    private final dev.sluice.mta.admin.ConfigOverrideShare overrides = new dev.sluice.mta.admin.ConfigOverrideShare();
    private final MemoryLimits memory = new MemoryLimits();
    private final Resolvers resolvers;
    private final ShapingModule shaping;

    /** @param resolvers what {@code kumo.dns.configure_resolver} changes */
    public MtaModules(Resolvers resolvers) {
        this.resolvers = resolvers;
        this.shaping = new ShapingModule(resolvers);
    }

    /** The modules, in the order they are installed. */
    public List<LuaModule> list() {
        return List.of(egress, new DnsPolicyModule(resolvers), shaping, esmtp, http, logs, new SpoolLuaModule(spools),
                ListenerDomain.module(), MakeMessage.module(), accounting, bounceClassifier, nats,
                memory, new AdminLuaModule(admin), overrides.luaModule(),
                new dev.sluice.mta.admin.XferLuaModule(admin));
    }

    /** {@code kumo.shaping.load}. */
    public ShapingModule shaping() {
        return shaping;
    }

    public EgressPolicyModule egress() {
        return egress;
    }

    public EsmtpListenerModule esmtp() {
        return esmtp;
    }

    public HttpListenerModule http() {
        return http;
    }

    public LogsPolicyModule logs() {
        return logs;
    }

    public SpoolDefinitions spools() {
        return spools;
    }

    public AccountingLuaModule accounting() {
        return accounting;
    }

    public BounceClassifierModule bounceClassifier() {
        return bounceClassifier;
    }

    /**
     * The operator's bounces and suspensions ({@code kumo.api.admin.*}); {@link MtaApp} attaches it to the queues,
     * {@code sluice check} never does.
     */
    public AdminControl admin() {
        return admin;
    }

    /** The TSA overrides shared by a fleet ({@code kumo.api.admin.config_overrides}); {@link MtaApp} starts it. */
    public dev.sluice.mta.admin.ConfigOverrideShare configOverrides() {
        return overrides;
    }

    /** {@code kumo.set_memory_soft_limit} and the other memory limits; ingress refuses above the soft limit. */
    public MemoryLimits memory() {
        return memory;
    }

    /** The NATS clients a policy connects; close it at stop. */
    public NatsPolicyModule nats() {
        return nats;
    }
}
