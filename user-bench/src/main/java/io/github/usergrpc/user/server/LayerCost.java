package io.github.usergrpc.user.server;

import io.github.usergrpc.user.server.observability.ServerMetrics;
import io.github.usergrpc.user.v1.GetUserRequest;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Benchmark only (issue 17): the CPU one GetUser costs with the given layers ({@link LayeredServer#LAYERS}),
 * or through the whole {@link UserServer} as {@code UserServerMain} builds it for the memory store
 * ({@code server}; {@code server -deadline} without its default deadline), over gRPC's in-process transport with direct executors: the caller's thread runs the
 * client, the server's layers and the handler, with no sockets and no other thread, so that what the
 * network and a busy machine add to a call over TCP stays out. Prints the CPU time of that thread per call
 * over the measured seconds, and the bytes it allocated per call (exact, whatever else runs on the machine):
 * {@code cpu-ns-per-call N calls M alloc-bytes-per-call B}. The JIT's threads and the collector's
 * pauses (SerialGC, in the VM thread) are not in it: on a machine shared with other builds they made
 * process CPU time swing by 10x between runs.
 *
 * <p>{@code java -cp user-bench/target/classes:user-server.jar io.github.usergrpc.user.server.LayerCost
 * <warm-up seconds> <measured seconds> [layer ... | server [-deadline]]}
 */
public final class LayerCost {

  private LayerCost() {}

  public static void main(String[] args) throws Exception {
    long warmup = TimeUnit.SECONDS.toNanos(Long.parseLong(args[0]));
    long measured = TimeUnit.SECONDS.toNanos(Long.parseLong(args[1]));
    Set<String> layers = new HashSet<>(Arrays.asList(args).subList(2, args.length));
    String name = "layer-cost-" + UUID.randomUUID();
    InProcessServerBuilder transport = InProcessServerBuilder.forName(name).directExecutor();
    AutoCloseable server;
    if (layers.equals(Set.of("server")) || layers.equals(Set.of("server", "-deadline"))) {
      // As UserServerMain.newServer for --store memory: metrics, the default deadline (unless -deadline),
      // calls on the transport's thread; no tokens, no tracing.
      server = UserServer.newBuilder(transport)
          .setStore(LayeredServer.storeWithTheUser())
          .setMetrics(new ServerMetrics())
          .setDefaultDeadline(layers.contains("-deadline") ? Duration.ZERO
              : UserServer.Builder.DEFAULT_CALL_DEADLINE)
          .build()
          .start();
    } else {
      if (!LayeredServer.LAYERS.containsAll(layers)) {
        throw new IllegalArgumentException("layers: " + layers + " (expected some of " + LayeredServer.LAYERS
            + ", or server)");
      }
      ServerMetrics metrics = layers.contains("metrics") ? new ServerMetrics() : null;
      if (metrics != null) {
        metrics.instrument(transport);
      }
      Server layered = transport.addService(LayeredServer.service(layers, metrics)).build().start();
      server = layered::shutdownNow;
    }
    ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    UserServiceGrpc.UserServiceBlockingStub stub = UserServiceGrpc.newBlockingStub(channel);
    GetUserRequest request = GetUserRequest.newBuilder().setId(LayeredServer.USER_ID).build();
    run(stub, request, warmup);
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long cpuBefore = threads.getCurrentThreadCpuTime();
    long allocatedBefore = threads.getCurrentThreadAllocatedBytes();
    long calls = run(stub, request, measured);
    long cpu = threads.getCurrentThreadCpuTime() - cpuBefore;
    long allocated = threads.getCurrentThreadAllocatedBytes() - allocatedBefore;
    System.out.printf("cpu-ns-per-call %.1f calls %d alloc-bytes-per-call %.0f%n", cpu / (double) calls, calls,
        allocated / (double) calls);
    channel.shutdownNow();
    server.close();
    System.exit(0);
  }

  private static long run(UserServiceGrpc.UserServiceBlockingStub stub, GetUserRequest request, long nanos) {
    long end = System.nanoTime() + nanos;
    long calls = 0;
    do {
      for (int i = 0; i < 256; i++) {
        stub.getUser(request);
      }
      calls += 256;
    } while (System.nanoTime() < end);
    return calls;
  }
}
