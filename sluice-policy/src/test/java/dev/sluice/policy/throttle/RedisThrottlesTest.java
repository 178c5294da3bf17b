package dev.sluice.policy.throttle;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.policy.Policy;
import dev.sluice.policy.PolicyOptions;
import dev.sluice.testkit.RedisServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Throttles and connection limits shared through a real {@code redis-server}: two policies (as two MTA nodes) share
 * one limit, a dead holder's lease comes free at its expiry, and a Redis that goes away and comes back only moves the
 * decisions to each node's share meanwhile.
 */
class RedisThrottlesTest {
    @TempDir
    Path dir;

    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) open.get(i).close();
    }

    private Policy node(String name, String url) throws Exception {
        Path d = Files.createDirectories(dir.resolve(name));
        Path file = d.resolve("policy.lua");
        Files.writeString(file, """
                kumo.on('init', function()
                  kumo.configure_redis_throttles { node = 'URL', lease_duration = '2s' }
                end)
                kumo.on('take', function(spec) return kumo.make_throttle('shared', spec):throttle().throttled end)
                kumo.on('peek', function(key) return kumo.redis.open({ node = 'URL' }):query('GET', key) end)
                """.replace("URL", url));
        Policy p = Policy.load(new PolicyOptions(file, 2, List.of(), null));
        open.add(p);
        p.runOnce("init");
        p.startBackground();
        return p;
    }

    private RedisServer redis(RedisServer.Builder b) {
        RedisServer r = b.start();
        open.add(r);
        return r;
    }

    /** Both nodes call {@code throttle()} as fast as they can for {@code seconds}: how many each was allowed. */
    private static int[] hammer(List<Policy> nodes, String spec, double seconds) {
        long end = System.nanoTime() + (long) (seconds * 1e9);
        List<CompletableFuture<Integer>> runs = new ArrayList<>();
        for (Policy p : nodes) {
            runs.add(CompletableFuture.supplyAsync(() -> {
                int allowed = 0;
                for (int i = 0; i < 200_000 && System.nanoTime() < end; i++) {
                    try {
                        if (Boolean.FALSE.equals(p.call("take", spec))) allowed++;
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }
                return allowed;
            }));
        }
        return runs.stream().mapToInt(CompletableFuture::join).toArray();
    }

    private static void await(String what, Duration limit, BooleanSupplier ok) throws InterruptedException {
        long end = System.nanoTime() + limit.toNanos();
        while (!ok.getAsBoolean()) {
            if (System.nanoTime() > end) throw new AssertionError("timed out waiting for " + what);
            Thread.sleep(50);
        }
    }

    @Test
    void twoNodesSharingTenASecondGetTenASecondTogetherUnderKumoMtasKey() throws Exception {
        RedisServer redis = redis(RedisServer.builder());
        Policy a = node("a", redis.url());
        Policy b = node("b", redis.url());
        await("both nodes on Redis", Duration.ofSeconds(10), () -> a.throttles().redisUp() && b.throttles().redisUp());

        int[] shared = hammer(List.of(a, b), "10/s", 3.0);
        int together = shared[0] + shared[1];
        // a burst of 10 and 10 a second for 3 s: 40 in all; unshared, each node would get 40
        assertThat(together).as("allowed on both nodes together (%s + %s)", shared[0], shared[1]).isBetween(28, 52);
        assertThat(shared[0]).isPositive();
        assertThat(shared[1]).isPositive();
        // KumoMTA's key, holding the theoretical arrival time in seconds since the epoch
        Object tat = a.call("peek", "shared:10:10:1");
        assertThat(Double.parseDouble((String) tat)).isCloseTo(System.currentTimeMillis() / 1000.0, org.assertj.core.data.Offset.offset(5.0));

        int[] local = hammer(List.of(a, b), "local:10/s", 3.0);
        assertThat(local[0] + local[1]).as("local: each node its own limit").isGreaterThan(60);
    }

    @Test
    void aLeaseOfAProcessKilledWithSigkillComesFreeAtItsExpiryNotBefore() throws Exception {
        RedisServer redis = redis(RedisServer.builder());
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                LeaseHolderChild.class.getName(), redis.url(), "kumomta.connection_limit.test", "1")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        open.add(child::destroyForcibly);
        BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
            try { // log lines may come first
                for (String l = out.readLine(); l != null; l = out.readLine()) {
                    if (l.equals("HELD")) return l;
                }
                return null;
            } catch (java.io.IOException e) {
                return null;
            }
        });
        assertThat(line.get(60, TimeUnit.SECONDS)).isEqualTo("HELD");

        Throttles other = new Throttles();
        open.add(other);
        other.configure(RedisConfig.parse(Map.of("node", redis.url(), "lease_duration", "2s"), "test", true));
        other.start();
        Thread.sleep(2500); // past one lease duration: the holder renews, so its lease lives on
        assertThat(other.lease("kumomta.connection_limit.test", 1).join()).isInstanceOf(LeaseAttempt.Full.class);

        child.destroyForcibly(); // SIGKILL: nothing released
        assertThat(child.waitFor(10, TimeUnit.SECONDS)).isTrue();
        long killed = System.nanoTime();
        assertThat(other.lease("kumomta.connection_limit.test", 1).join()).isInstanceOf(LeaseAttempt.Full.class);
        LeaseAttempt got;
        do {
            Thread.sleep(100);
            got = other.lease("kumomta.connection_limit.test", 1).join();
        } while (!(got instanceof LeaseAttempt.Granted) && System.nanoTime() - killed < 15_000_000_000L);
        assertThat(got).isInstanceOf(LeaseAttempt.Granted.class);
        assertThat((System.nanoTime() - killed) / 1e9).as("seconds until the dead holder's lease expired").isLessThan(3.5);
    }

    @Test
    void redisKilledAndRestartedMovesDecisionsToEachNodesShareThenBackToRedis() throws Exception {
        RedisServer redis = redis(RedisServer.builder());
        int port = redis.port();
        Policy a = node("a", redis.url());
        Policy b = node("b", redis.url());
        await("both nodes counted in Redis", Duration.ofSeconds(15),
                () -> a.throttles().redisUp() && a.throttles().fleetSize() == 2);

        redis.close(); // killed mid-run
        // decisions go on, on this node's half of 10/s: a burst of 5, then 5 a second
        int[] during = hammer(List.of(a), "10/s", 2.0);
        assertThat(a.throttles().redisUp()).isFalse();
        assertThat(during[0]).as("allowed on node a while Redis was away").isBetween(8, 22);

        RedisServer again = redis(RedisServer.builder().port(port));
        await("shared again", Duration.ofSeconds(20), () -> {
            try {
                a.call("take", "10/s");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            return a.throttles().redisUp();
        });
        assertThat(a.call("peek", "shared:10:10:1")).as("the throttle's key is back in Redis").isNotNull();
        assertThat(again.isAlive()).isTrue();
    }
}
