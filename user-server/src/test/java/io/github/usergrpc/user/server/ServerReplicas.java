package io.github.usergrpc.user.server;

import io.github.usergrpc.user.server.store.PostgresTestDatabase;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Server processes ({@link ServerProcess}) on one PostgreSQL schema, each with a channel: replicas as an
 * operator runs them. {@link #close()} stops what is still running and shuts the channels down.
 */
final class ServerReplicas implements AutoCloseable {

  private final List<ServerProcess> processes = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();

  private ServerReplicas() {}

  /**
   * Starts {@code count} replicas on {@code postgres}'s schema, each with {@code extraArgs} (such as
   * {@code --activity}).
   */
  static ServerReplicas start(int count, PostgresTestDatabase postgres, String... extraArgs) throws IOException,
      InterruptedException {
    List<String> args = new ArrayList<>(List.of("--port", "0", "--store", postgres.jdbcUrl(),
        "--db-user", postgres.user()));
    if (!postgres.password().isEmpty()) {
      args.addAll(List.of("--db-password", postgres.password()));
    }
    args.addAll(List.of(extraArgs));
    ServerReplicas replicas = new ServerReplicas();
    try {
      for (int i = 0; i < count; i++) {
        ServerProcess process = ServerProcess.start(args.toArray(String[]::new));
        replicas.processes.add(process);
        replicas.channels.add(ManagedChannelBuilder.forAddress("127.0.0.1", process.port()).usePlaintext().build());
      }
    } catch (IOException | RuntimeException e) {
      replicas.close();
      throw e;
    }
    return replicas;
  }

  /** Returns the number of replicas started. */
  int size() {
    return processes.size();
  }

  /** Returns the channel to replica {@code index}. */
  ManagedChannel channel(int index) {
    return channels.get(index);
  }

  /** Returns a blocking stub to replica {@code index}, with a 30-second deadline. */
  UserServiceGrpc.UserServiceBlockingStub blocking(int index) {
    return UserServiceGrpc.newBlockingStub(channel(index)).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  /** Kills replica {@code index} with SIGKILL. */
  void kill(int index) throws InterruptedException {
    processes.get(index).kill();
  }

  @Override
  public void close() throws InterruptedException {
    for (ManagedChannel channel : channels) {
      channel.shutdownNow();
    }
    for (ServerProcess process : processes) {
      process.close();
    }
    for (ManagedChannel channel : channels) {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
