package io.github.usergrpc.user.bench;

import java.util.Arrays;

/**
 * Entry point of the benchmark commands; scripts/bench/*.sh call it. Each command writes its section of
 * BENCHMARKS.md.
 *
 * <pre>
 * load           end-to-end load: h2load and the Java load tool against our server, the seed Node server,
 *                a bare grpc-java server and PostgreSQL (pgbench -S); with --section executor (issue 17,
 *                scripts/bench/executor.sh) GetUser only, with the direct-executor ceiling, NIO vs epoll
 *                and a baseline jar (--baseline-jar) side by side, --streams calls per connection
 * serialization  JMH: protobuf vs JSON (JsonFormat, Jackson), plus sizes and gzip'd sizes
 * pagination     1,000,000 users in PostgreSQL and H2: first and deep pages, by token and by offset
 * watch          10,000 watch streams: server heap; mutation-to-event latency with 1,000 watchers
 * client         UserClient facade vs the raw async stub; fake start plus first call
 * http           the HTTP port: a normal GET while 2,000 connections trickle headers; 10,000 SSE watches
 * soak           mixed traffic at a fixed rate for minutes: errors, server heap, fds and threads over time;
 *                exits with 1 when a check fails
 * embedded-store the embedded stores' (H2, SQLite) file size under sustained writes against the data they hold
 * write          RecordActivity and CreateUser on PostgreSQL at 1 and 16 clients, beside pgbench -N
 * interceptors   issue 17: server CPU per GetUser call with each layer (interceptor, handler, metrics) alone,
 *                all of them, and user-server.jar (scripts/bench/interceptors.sh)
 * scale-out      three replicas on PostgreSQL, activity on NATS JetStream vs the database: cross-replica
 *                mutation-to-event latency at 1,000 watchers, RecordActivity at 16 clients
 * idle-watch     1,000 live watches on JetStream doing nothing: the CPU of the server, NATS and the watchers
 * bare-server    the constant GetUser server (used by load)
 * </pre>
 */
public final class BenchMain {

  private BenchMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 0) {
      System.err.println("usage: BenchMain load|serialization|pagination|watch|client|http|soak|embedded-store|write"
          + "|scale-out|idle-watch|bare-server [--option value ...]");
      System.exit(2);
    }
    Args options = new Args(args, 1);
    switch (args[0]) {
      case "load" -> LoadBench.run(options);
      case "serialization" -> SerializationBench.run(options);
      case "pagination" -> PaginationBench.run(options);
      case "watch" -> WatchBench.run(options);
      case "client" -> ClientBench.run(options);
      case "http" -> HttpBench.run(options);
      case "embedded-store" -> EmbeddedStoreBench.run(options);
      case "write" -> WriteBench.run(options);
      case "interceptors" -> InterceptorBench.run(options);
      case "scale-out" -> ScaleOutBench.run(options);
      case "idle-watch" -> IdleWatchBench.run(options);
      case "soak" -> {
        if (!SoakBench.run(options)) {
          System.exit(1);
        }
      }
      case "fake-start" -> ClientBench.fakeStart(options);
      case "jfr-top" -> JfrTop.run(options);
      case "frame" -> LoadBench.frame(options);
      case "bare-server" -> BareServer.main(Arrays.copyOfRange(args, 1, args.length));
      default -> {
        System.err.println("unknown command: " + args[0]);
        System.exit(2);
      }
    }
    System.exit(0);
  }
}
