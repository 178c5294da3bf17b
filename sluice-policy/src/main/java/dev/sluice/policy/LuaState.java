package dev.sluice.policy;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import party.iroiro.luajava.JFunction;
import party.iroiro.luajava.Lua;
import party.iroiro.luajava.LuaException;
import party.iroiro.luajava.lua54.Lua54;
import party.iroiro.luajava.lua54.Lua54Natives;

/**
 * One Lua 5.4 state with the kumo module and the policy file loaded. Not thread-safe: one borrower at a time.
 *
 * <p>Every run of Lua code in it is bounded by a deadline: the bootstrap installs a count hook that asks
 * {@link #overdue} every {@link #HOOK_COUNT} instructions, and once the deadline has passed raises the
 * overrun error at the policy line that is running (see bootstrap.lua). Code blocked outside Lua (a C or Java
 * function) is not interrupted by the hook; {@link Policy} abandons such a state.
 */
final class LuaState implements AutoCloseable {
    private static final Logger POLICY_LOG = LoggerFactory.getLogger("policy");
    private static final byte[] BOOTSTRAP = readBootstrap();
    /** Lua instructions between two deadline checks: about a millisecond of busy Lua, a negligible cost. */
    static final int HOOK_COUNT = 100_000;

    private final Lua lua = new Lua54();
    private int apiRef;
    private String file = "";
    // The bound of the code running now, read by the hook on the thread running it.
    private boolean bounded;
    private long deadline;
    private String overrunText;
    private boolean tripped;
    // set by another thread to stop a task running in this state (see cancel)
    private volatile String cancelled;
    // kumo.reject's code and text, reported by dispatch (bootstrap.lua) for the call running now
    private Integer rejectCode;
    private String rejectText;

    private LuaState() {}

    /**
     * Loads {@code code} (the contents of {@code file}) into a new state, its top-level code bounded by
     * {@code limit}.
     */
    static LuaState load(Path file, byte[] code, List<LuaModule> modules, Duration limit) throws PolicyException {
        LuaState state = new LuaState();
        try {
            state.file = file.toString();
            state.lua.openLibraries();
            state.apiRef = state.runBootstrap(file);
            for (LuaModule module : modules) {
                module.install(state.registrar());
            }
            state.runFile(file, code, limit);
            return state;
        } catch (PolicyException | RuntimeException e) {
            state.close();
            throw e;
        }
    }

    /** Reads the policy file, naming it in the error. */
    static byte[] read(Path file) throws PolicyException {
        try {
            return Files.readAllBytes(file);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new PolicyException("no such file: " + file, e);
        } catch (IOException e) {
            throw new PolicyException("cannot read policy file " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Calls the handler(s) for {@code event}; returns the converted result, or null when none is registered.
     * Past {@code deadline} ({@link System#nanoTime}) the hook stops the handler with
     * {@code file:line: <overrun>}, reported as a {@linkplain PolicyException#timedOut() timeout}.
     */
    Object dispatch(String event, Object[] args, long deadline, String overrun) throws PolicyException {
        bound(deadline, overrun);
        return invoke(event, args, overrun);
    }

    /**
     * Calls the handler(s) for {@code event} with no deadline (a task): it runs until it returns, fails, or
     * {@link #cancel} stops it.
     */
    Object dispatchUnbounded(String event, Object[] args) throws PolicyException {
        tripped = false;
        bounded = false;
        CallDeadline.clear();
        return invoke(event, args, "");
    }

    /**
     * From any thread: stops the code running in this state at its next hook check, with {@code file:line: reason}
     * (a pcall in the policy cannot catch it), and every later run. Code blocked in a Java or C function is not
     * reached; the caller interrupts the thread for Java functions that wait.
     */
    void cancel(String reason) {
        cancelled = reason;
    }

    private Object invoke(String event, Object[] args, String overrun) throws PolicyException {
        int top = lua.getTop();
        try {
            lua.checkStack(args.length + 4);
            lua.refGet(apiRef);
            lua.getField(-1, "dispatch");
            lua.push(event);
            for (Object arg : args) {
                LuaValues.push(lua, arg);
            }
            lua.pCall(args.length + 1, 1);
            if (tripped) { // over time, yet the handler returned (it caught the overrun error): still a failure
                throw PolicyException.timedOut(file + ": " + (cancelled != null ? cancelled : overrun), event);
            }
            return LuaValues.toJava(lua, -1);
        } catch (LuaException e) {
            String message = fullPath(e.getMessage());
            if (tripped) {
                throw PolicyException.timedOut(message, event);
            }
            if (rejectCode != null) {
                throw new PolicyRejection(message, event, rejectCode, rejectText);
            }
            throw new PolicyException(message, event);
        } finally {
            rejectCode = null;
            rejectText = null;
            bounded = false;
            CallDeadline.clear();
            lua.setTop(top);
        }
    }

    private void bound(long deadline, String overrun) {
        bound(deadline, overrun, false);
    }

    private void bound(long deadline, String overrun, boolean topLevel) {
        CallDeadline.set(deadline, this, topLevel);
        this.deadline = deadline;
        this.overrunText = overrun;
        this.tripped = false;
        this.bounded = true;
    }

    /** A Java function waited until the deadline: the run is over time; the text to raise. */
    String expire() {
        tripped = true;
        return overrunText;
    }

    /** The hook's question: null while the running code is within its deadline, else the error text. */
    private int overdue(Lua l) {
        String stop = cancelled;
        if (stop != null) {
            tripped = true;
            l.push(stop);
        } else if (bounded && System.nanoTime() - deadline >= 0) {
            tripped = true;
            l.push(overrunText);
        } else {
            l.pushNil();
        }
        return 1;
    }

    /** dispatch's report that the handler ended with {@code kumo.reject(code, text)}. */
    private int rejected(Lua l) {
        rejectCode = (int) l.toInteger(1);
        rejectText = l.toString(2);
        return 0;
    }

    Set<String> handlerNames() {
        int top = lua.getTop();
        try {
            lua.refGet(apiRef);
            lua.getField(-1, "handler_names");
            lua.pCall(0, 1);
            Object names = LuaValues.toJava(lua, -1);
            Set<String> result = new java.util.TreeSet<>();
            if (names instanceof List<?> list) {
                list.forEach(n -> result.add(String.valueOf(n)));
            }
            return result;
        } finally {
            lua.setTop(top);
        }
    }

    private int runBootstrap(Path file) {
        ByteBuffer code = direct(BOOTSTRAP);
        lua.load(code, "=sluice-bootstrap");
        lua.newTable();
        lua.push(this::log);
        lua.setField(-2, "log");
        LuaValues.push(lua, KumoApi.SUBMODULES);
        lua.setField(-2, "submodules");
        lua.createTable(0, KumoApi.MULTIPLE_HANDLER_EVENTS.size());
        for (String event : KumoApi.MULTIPLE_HANDLER_EVENTS) {
            lua.push(true);
            lua.setField(-2, event);
        }
        lua.setField(-2, "multiple");
        lua.createTable(0, KumoApi.RUN_ALL_EVENTS.size());
        for (String event : KumoApi.RUN_ALL_EVENTS) {
            lua.push(true);
            lua.setField(-2, event);
        }
        lua.setField(-2, "run_all");
        lua.push(this::overdue);
        lua.setField(-2, "overdue");
        lua.push(this::rejected);
        lua.setField(-2, "rejected");
        lua.push(KumoApi.CUSTOM_LUA_DELIVER);
        lua.setField(-2, "custom_lua_deliver");
        lua.push(HOOK_COUNT);
        lua.setField(-2, "hook_count");
        Path dir = file.toAbsolutePath().getParent();
        lua.push(dir == null ? "." : dir.toString());
        lua.setField(-2, "policy_dir");
        lua.pCall(1, 1);
        return lua.ref();
    }

    private void runFile(Path file, byte[] code, Duration limit) throws PolicyException {
        int top = lua.getTop();
        bound(System.nanoTime() + limit.toNanos(), "loading the policy exceeded " + Policy.seconds(limit), true);
        try {
            lua.load(direct(code), "@" + file);
            lua.pCall(0, 0);
            if (tripped) {
                throw PolicyException.timedOut(file + ": loading the policy exceeded " + Policy.seconds(limit), null);
            }
        } catch (LuaException e) {
            String message = fullPath(e.getMessage());
            throw tripped ? PolicyException.timedOut(message, null) : new PolicyException(message, (String) null);
        } finally {
            bounded = false;
            CallDeadline.clear();
            lua.setTop(top);
        }
    }

    /**
     * Lua shortens chunk names longer than 59 characters to "...tail"; put the policy path back so
     * the message reads exactly {@code file:line: reason}.
     */
    private String fullPath(String message) {
        if (message != null && message.startsWith("...")) {
            int colon = message.indexOf(':');
            if (colon > 3 && file.endsWith(message.substring(3, colon))) {
                return file + message.substring(colon);
            }
        }
        return message;
    }

    private LuaModule.Registrar registrar() {
        return new LuaModule.Registrar() {
            @Override
            public void function(String module, String name, LuaFunction fn) {
                define(module, name, fn);
            }

            @Override
            public void script(String chunkName, String source, java.util.Map<String, LuaFunction> natives) {
                runScript(chunkName, source, natives);
            }
        };
    }

    private void runScript(String chunkName, String source, java.util.Map<String, LuaFunction> natives) {
        int top = lua.getTop();
        try {
            lua.load(direct(source.getBytes(java.nio.charset.StandardCharsets.UTF_8)), "=" + chunkName);
            LuaValues.push(lua, natives);
            lua.pCall(1, 0);
        } finally {
            lua.setTop(top);
        }
    }

    private void define(String module, String name, LuaFunction fn) {
        int top = lua.getTop();
        try {
            lua.refGet(apiRef);
            lua.getField(-1, "define");
            lua.push(module);
            lua.push(name);
            lua.push(javaFunction(fn));
            lua.pCall(3, 0);
        } finally {
            lua.setTop(top);
        }
    }

    /** Wraps fn so a Java exception becomes a Lua error positioned at the Lua caller. */
    static JFunction javaFunction(LuaFunction fn) {
        return l -> {
            Object result;
            Lua outer = CALLER.get();
            CALLER.set(l);
            try {
                List<Object> args = new ArrayList<>(l.getTop());
                for (int i = 1; i <= l.getTop(); i++) {
                    args.add(LuaValues.toJava(l, i));
                }
                result = fn.call(args);
            } catch (Exception | LinkageError | AssertionError e) {
                if (e instanceof InterruptedException) {
                    // keep the thread marked: a pcall around a sleep or a queue wait must not make it wait again
                    Thread.currentThread().interrupt();
                }
                String reason = e.getMessage() == null ? e.toString() : e.getMessage();
                l.push(where(l) + reason);
                return -1;
            } finally {
                CALLER.set(outer);
            }
            LuaValues.push(l, result);
            return 1;
        };
    }

    /** The Lua code (state or coroutine) calling the Java function running on this thread; null outside one. */
    private static final ThreadLocal<Lua> CALLER = new ThreadLocal<>();

    /**
     * {@code file:line} of the policy code calling the Java function running on this thread (what an error raised
     * now would name), or empty outside a call from Lua or when the caller has no line (a tail call).
     */
    static String callerWhere() {
        Lua l = CALLER.get();
        if (l == null) {
            return "";
        }
        String where = where(l);
        return where.endsWith(": ") ? where.substring(0, where.length() - 2) : where;
    }

    /** luaL_where(L, 1): "file:line: " of the Lua code calling the current Java function. */
    private static String where(Lua l) {
        ((Lua54Natives) l.getLuaNatives()).luaL_where(l.getPointer(), 1);
        String where = l.toString(-1);
        l.pop(1);
        return where == null ? "" : where;
    }

    private int log(Lua l) {
        String level = l.toString(1);
        String message = l.toString(2);
        switch (level) {
            case "debug" -> POLICY_LOG.debug("{}", message);
            case "warn" -> POLICY_LOG.warn("{}", message);
            case "error" -> POLICY_LOG.error("{}", message);
            default -> POLICY_LOG.info("{}", message);
        }
        return 0;
    }

    private static ByteBuffer direct(byte[] bytes) {
        ByteBuffer buffer = ByteBuffer.allocateDirect(bytes.length);
        buffer.put(bytes).flip();
        return buffer;
    }

    private static byte[] readBootstrap() {
        try (InputStream in = LuaState.class.getResourceAsStream("bootstrap.lua")) {
            if (in == null) {
                throw new IllegalStateException("bootstrap.lua missing from the classpath");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        lua.close();
    }
}
