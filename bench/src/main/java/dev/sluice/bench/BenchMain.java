package dev.sluice.bench;

import java.net.InetSocketAddress;

/**
 * Load tool for bench/proxy-bench.sh.
 * <pre>
 * target   --bulk 127.0.0.1:0 --banner 127.0.0.1:0 --hold 127.0.0.1:0 --lifetime 3600
 * bulk     --target HOST:PORT [--proxy HOST:PORT] [--mode direct|connect|bind-connect] --streams N --seconds S
 * sessions --target HOST:PORT [--proxy ..] [--mode ..] [--sources 127.0.0.2-9] --clients C --seconds S --max N
 * hold     --target HOLD_HOST:PORT [--proxy ..] [--mode ..] --sessions N --hold-seconds S
 * </pre>
 * Prints one "RESULT key=value ..." line per run.
 */
public final class BenchMain {

    private BenchMain() {}

    public static void main(String[] argv) throws Exception {
        if (argv.length == 0) {
            System.err.println("usage: BenchMain target|bulk|sessions|hold --key value ...");
            System.exit(2);
        }
        Args args = new Args(argv, 1);
        switch (argv[0]) {
            case "target" -> target(args);
            case "bulk" -> print(BulkLoad.run(Dialer.fromArgs(args), target(args, "target"),
                    args.integer("streams", 1), args.decimal("seconds", 5)));
            case "sessions" -> print(SessionLoad.run(Dialer.fromArgs(args), target(args, "target"),
                    args.integer("clients", 64), args.decimal("seconds", 5), args.integer("max", 10_000_000)));
            case "hold" -> print(HoldLoad.run(Dialer.fromArgs(args), target(args, "target"),
                    args.integer("sessions", 3000), args.decimal("hold-seconds", 3)));
            default -> {
                System.err.println("unknown command " + argv[0]);
                System.exit(2);
            }
        }
    }

    private static InetSocketAddress target(Args args, String key) {
        String v = args.string(key, "");
        if (v.isEmpty()) {
            throw new IllegalArgumentException("--" + key + " HOST:PORT is required");
        }
        return Endpoint.parse(v);
    }

    private static void target(Args args) throws Exception {
        long lifetime = args.integer("lifetime", 3600);
        try (TargetServer server = new TargetServer(Endpoint.parse(args.string("bulk", "127.0.0.1:0")),
                Endpoint.parse(args.string("banner", "127.0.0.1:0")), Endpoint.parse(args.string("hold", "127.0.0.1:0")),
                lifetime)) {
            InetSocketAddress bulk = server.bulkAddress();
            InetSocketAddress banner = server.bannerAddress();
            System.out.println("TARGET bulk=127.0.0.1:" + bulk.getPort() + " banner=127.0.0.1:" + banner.getPort()
                    + " hold=127.0.0.1:" + server.holdAddress().getPort());
            System.out.flush();
            Thread.sleep(lifetime * 1000); // killed by the script long before this
        }
    }

    private static void print(Result result) {
        System.out.println(result.line());
        System.out.flush();
    }
}
