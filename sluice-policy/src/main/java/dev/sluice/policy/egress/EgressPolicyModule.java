package dev.sluice.policy.egress;

import dev.sluice.policy.LuaModule;
import java.util.List;

/**
 * The egress functions of the {@code kumo} module. Each {@code make_*} validates its table when called (so a
 * mistake is reported at the policy's {@code file:line}) and returns the Java record, which comes back to
 * Java intact when an event handler returns it. {@code define_egress_source}/{@code define_egress_pool}
 * (the pre-2023.06 form, called in {@code init}) register into {@link #definitions()}.
 * {@code invoke_get_egress_path_config} runs the path handler from Lua ({@link EgressPathTable}).
 *
 * <pre>
 * var module = new EgressPolicyModule();
 * Policy policy = Policy.load(new PolicyOptions(file, 0, List.of(module), registry));
 * policy.runOnce("init");                 // legacy define_* calls land in module.definitions()
 * var resolver = new EgressConfigResolver(policy, module.definitions());
 * </pre>
 */
public final class EgressPolicyModule implements LuaModule {
    private final EgressDefinitions definitions;

    public EgressPolicyModule() {
        this(new EgressDefinitions());
    }

    public EgressPolicyModule(EgressDefinitions definitions) {
        this.definitions = definitions;
    }

    /** Where {@code define_egress_source}/{@code define_egress_pool} register. */
    public EgressDefinitions definitions() {
        return definitions;
    }

    @Override
    public void install(Registrar r) {
        r.kumoFunction("make_egress_source", args -> EgressSourceParser.parse("make_egress_source", first(args)));
        r.kumoFunction("make_egress_pool", args -> EgressPool.parse("make_egress_pool", first(args)));
        r.kumoFunction("make_queue_config", args -> QueueConfig.parse(first(args)));
        r.kumoFunction("make_egress_path", args -> EgressPath.parse(first(args)));
        EgressPathTable.module().install(r);
        r.kumoFunction("define_egress_source", args -> {
            definitions.define(EgressSourceParser.parse("define_egress_source", first(args)));
            return null;
        });
        r.kumoFunction("define_egress_pool", args -> {
            definitions.define(EgressPool.parse("define_egress_pool", first(args)));
            return null;
        });
    }

    private static Object first(List<Object> args) {
        return args.isEmpty() ? null : args.getFirst();
    }
}
