package dev.sluice.policy.kumo.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.policy.Policy;
import dev.sluice.policy.kumo.LuaSnippets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MpscModuleTest {
    @TempDir
    Path dir;

    @Test
    void aBoundedQueueRefusesOrWaitsWhenFullAndHandsOutInOrder() throws Exception {
        Object result = LuaSnippets.eval(dir,
                "kumo.on('test', function()",
                "  local q = kumo.mpsc.define('q', 2)",
                "  local same = kumo.mpsc.define('q', 100)  -- the first definition's limit stays",
                "  local r = {}",
                "  r.sent = { q:try_send('a'), q:try_send({ 1, 2 }), same:try_send('c') }",
                "  r.len, r.empty = q:len(), q:is_empty()",
                "  r.timeout = select(2, pcall(function() q:send_timeout('c', 0.01) end))",
                "  r.first = q:recv()",
                "  q:send('c')",
                "  r.rest = q:recv_many(10)",
                "  r.none = q:try_recv()",
                "  q:close()",
                "  r.closed, r.after = q:is_closed(), q:recv()",
                "  r.refused = q:try_send('d')",
                "  r.send_error = select(2, pcall(function() q:send('d') end))",
                "  return r",
                "end)");
        String file = dir.resolve("policy.lua").toString();
        assertThat(result).isEqualTo(Map.of(
                "sent", List.of(true, true, false),
                "len", 2L, "empty", false,
                "timeout", file + ":7: mpsc queue 'q': no room within the timeout (2 items)",
                "first", "a",
                "rest", List.of(List.of(1L, 2L), "c"),
                "closed", true,
                "refused", false,
                "send_error", file + ":15: mpsc queue 'q' is closed"));
    }

    @Test
    void theQueueIsSharedByTheStatesAndAWaitingReceiverGetsWhatAnotherStateSends() throws Exception {
        try (Policy policy = LuaSnippets.load(dir,
                "kumo.on('recv', function() return kumo.mpsc.define('shared'):recv_many(5) end)",
                "kumo.on('send', function(v) kumo.mpsc.define('shared'):send(v) end)",
                "kumo.on('peek', function() return kumo.mpsc.define('shared'):try_recv() end)",
                "kumo.on('fn', function() kumo.mpsc.define('shared'):send(print) end)")) {
            CompletableFuture<Object> receiver = policy.callAsync("recv"); // waits in one state
            Await.until("the receiver waits", () -> policy.exhausted().isEmpty() && isWaiting());
            // the pool has two states: this second call must fail as a second consumer would
            assertThatThrownBy(() -> policy.call("peek")).hasMessageContaining(
                    "mpsc queue 'shared': another task is receiving from it (one consumer at a time)");
            policy.call("send", "hello");
            assertThat(receiver.get()).isEqualTo(List.of("hello"));
            assertThatThrownBy(() -> policy.call("fn")).hasMessageContaining(
                    "mpsc queue 'shared': the value is a function, which cannot be kept outside its Lua state");
        }
    }

    /** A Lua thread is blocked in the queue's wait, which it reaches only holding the consumer lock. */
    private static boolean isWaiting() {
        return Thread.getAllStackTraces().entrySet().stream().anyMatch(e -> e.getKey().getName().startsWith("sluice-lua-")
                && java.util.Arrays.stream(e.getValue()).anyMatch(f -> f.getClassName().endsWith("MpscQueue")
                        && f.getMethodName().equals("await")));
    }
}
