package io.github.usergrpc.user.bench;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A JetStream cluster of the installed {@code nats-server} that a benchmark starts on free loopback ports, each
 * node with its own store directory under {@code directory} (its log beside it), and kills and deletes when
 * closed: what the
 * scale-out bench's R3 mode runs against. ({@code NatsTestCluster} in user-server's tests does the same for
 * tests, with kill and restart of single nodes.)
 */
final class NatsCluster implements AutoCloseable {

  private static final String CLUSTER_NAME = "bench";
  private static final Duration READY_BOUND = Duration.ofSeconds(60);

  private final Path directory;
  private final List<ServerProcess> nodes = new ArrayList<>();
  private final List<String> urls = new ArrayList<>();

  private NatsCluster(Path directory) {
    this.directory = directory;
  }

  /**
   * Starts {@code size} nodes and returns once a client sees JetStream answer (the cluster elected a meta
   * leader).
   *
   * @param directory a directory of the cluster's own, deleted first and on {@link #close}
   */
  static NatsCluster start(int size, Path directory) throws IOException, InterruptedException {
    NatsCluster cluster = new NatsCluster(directory);
    try {
      Directories.deleteTree(directory);
      Files.createDirectories(directory);
      int[] clientPorts = new int[size];
      int[] routePorts = new int[size];
      for (int i = 0; i < size; i++) {
        clientPorts[i] = ServerProcess.freePort();
        routePorts[i] = ServerProcess.freePort();
      }
      for (int i = 0; i < size; i++) {
        List<String> routes = new ArrayList<>();
        for (int j = 0; j < size; j++) {
          if (j != i) {
            routes.add("nats://127.0.0.1:" + routePorts[j]);
          }
        }
        String name = "n" + (i + 1);
        List<String> command = List.of(binary(), "-a", "127.0.0.1", "-p", Integer.toString(clientPorts[i]), "-js",
            "-sd", directory.resolve(name).toString(), "--server_name", name, "--cluster_name", CLUSTER_NAME,
            "--cluster", "nats://127.0.0.1:" + routePorts[i], "--routes", String.join(",", routes));
        cluster.nodes.add(ServerProcess.start(directory.getFileName() + "-" + name, "", command, clientPorts[i],
            directory.getParent()));
        cluster.urls.add("nats://127.0.0.1:" + clientPorts[i]);
      }
      cluster.awaitJetStream();
    } catch (IOException | InterruptedException | RuntimeException e) {
      cluster.close();
      throw e;
    }
    return cluster;
  }

  /** Returns every node's client URL, comma-separated, as {@code --activity} takes them. */
  String url() {
    return String.join(",", urls);
  }

  private void awaitJetStream() throws IOException, InterruptedException {
    long deadline = System.nanoTime() + READY_BOUND.toNanos();
    try (Connection connection = Nats.connect(new Options.Builder().servers(urls.toArray(new String[0]))
        .connectionTimeout(Duration.ofSeconds(5)).maxReconnects(-1).build())) {
      while (true) {
        try {
          connection.jetStreamManagement().getAccountStatistics();
          return;
        } catch (IOException | JetStreamApiException | RuntimeException notYet) {
          if (System.nanoTime() - deadline > 0) {
            throw new IOException("the NATS cluster in " + directory + " had no JetStream meta leader within "
                + READY_BOUND.toSeconds() + " s: " + notYet, notYet);
          }
          Thread.sleep(100);
        }
      }
    }
  }

  /** The nats-server binary: {@code $NATS_SERVER}, else the first on the PATH, else the Debian package's. */
  private static String binary() {
    String configured = System.getenv("NATS_SERVER");
    if (configured != null && !configured.isBlank()) {
      return configured;
    }
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path candidate = Path.of(dir, "nats-server");
      if (Files.isExecutable(candidate)) {
        return candidate.toString();
      }
    }
    return "/usr/sbin/nats-server";
  }

  /** Kills every node and deletes the directory. */
  @Override
  public void close() throws IOException {
    nodes.forEach(ServerProcess::close);
    Directories.deleteTree(directory);
  }
}
