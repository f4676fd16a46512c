package io.github.usergrpc.user.server.activity.jetstream;

import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.annotation.Nullable;

/**
 * NATS servers with JetStream that a test starts from the installed {@code nats-server} binary: one node, or
 * a three-node cluster, on free ports of 127.0.0.1, each with its own store directory in a temporary
 * directory; a node can be killed with SIGKILL and started again on the same ports and data.
 *
 * <pre>{@code
 * try (NatsTestCluster nats = NatsTestCluster.startCluster(3)) {
 *   ... nats.url() ...            // all nodes, comma-separated, for Options.servers
 *   nats.node(1).kill();          // kill -9
 *   nats.node(1).start();         // same ports, same store directory
 * }
 * }</pre>
 *
 * <p>Each node runs from a configuration file as in the anchors (server_name, listen, http, jetstream
 * store_dir, and for a cluster the cluster block with all three routes). {@link #startSingle()} and
 * {@link #startCluster} return once every node answers {@code /healthz} and a client has seen JetStream
 * answer (the cluster has a meta leader).
 *
 * <p>The binary is {@code $NATS_SERVER} when set (and then only it), else {@code nats-server} on the PATH, else
 * {@code /usr/sbin/nats-server}.
 * Where it is missing the test is skipped with a message that says so, unless the system property or
 * environment variable {@value #REQUIRE_VARIABLE} is {@code true} (or {@code 1}): then it fails, so that CI cannot
 * pass by skipping. {@link #close} kills every node it started and deletes the directory.
 */
public final class NatsTestCluster implements AutoCloseable {

  /** The system property or environment variable that turns a skip into a failure. */
  public static final String REQUIRE_VARIABLE = "REQUIRE_NATS";
  /** The environment variable naming the nats-server binary. */
  public static final String BINARY_VARIABLE = "NATS_SERVER";

  private static final Duration READY_BOUND = Duration.ofSeconds(60);
  private static final String CLUSTER_NAME = "activity";

  private final Path binary;
  private final boolean jetStream;
  private final Path directory;
  private final List<Node> nodes;

  private NatsTestCluster(Path binary, boolean jetStream, Path directory, List<Node> nodes) {
    this.binary = binary;
    this.jetStream = jetStream;
    this.directory = directory;
    this.nodes = nodes;
  }

  /** Starts one JetStream node; skips (or fails, with REQUIRE_NATS=true) without the binary. */
  public static NatsTestCluster startSingle() throws IOException, InterruptedException {
    return start(1, true);
  }

  /** Starts one plain NATS node, JetStream off: what a server asking for JetStream must refuse. */
  public static NatsTestCluster startWithoutJetStream() throws IOException, InterruptedException {
    return start(1, false);
  }

  /** Starts a JetStream cluster of {@code size} nodes (3 for an R3 stream). */
  public static NatsTestCluster startCluster(int size) throws IOException, InterruptedException {
    if (size < 2) {
      throw new IllegalArgumentException("a cluster has at least 2 nodes: " + size);
    }
    return start(size, true);
  }

  private static NatsTestCluster start(int size, boolean jetStream) throws IOException, InterruptedException {
    Path binary = binaryOrSkip();
    Path directory = Files.createTempDirectory("user-nats-");
    List<Node> nodes = new ArrayList<>();
    NatsTestCluster cluster = new NatsTestCluster(binary, jetStream, directory, nodes);
    try {
      List<Integer> routePorts = new ArrayList<>();
      for (int i = 1; i <= size; i++) {
        nodes.add(new Node(cluster, i, freePort(), freePort(), size > 1 ? freePort() : 0));
        routePorts.add(nodes.get(i - 1).routePort);
      }
      for (Node node : nodes) {
        node.writeConfig(size > 1 ? routePorts : List.of());
        node.launch();
      }
      for (Node node : nodes) {
        node.awaitHealthy();
      }
      if (jetStream) {
        cluster.awaitJetStream();
      }
    } catch (IOException | RuntimeException | InterruptedException | Error e) {
      cluster.close();
      throw e;
    }
    return cluster;
  }

  /** Returns the client URLs of every node, comma-separated (what {@code Options.Builder.server} takes). */
  public String url() {
    return nodes.stream().map(Node::url).collect(Collectors.joining(","));
  }

  /** Returns the nodes, first to last. */
  public List<Node> nodes() {
    return List.copyOf(nodes);
  }

  /** Returns node {@code index}, counting from 0. */
  public Node node(int index) {
    return nodes.get(index);
  }

  /** Returns the temporary directory holding configurations, store directories and logs. */
  public Path directory() {
    return directory;
  }

  /**
   * Connects a client to every node's URL: no reconnect limit, so it follows the cluster through a node's
   * death. The caller closes it.
   */
  public Connection connect() throws IOException, InterruptedException {
    return Nats.connect(new Options.Builder().server(url()).connectionTimeout(Duration.ofSeconds(5))
        .maxReconnects(-1).reconnectWait(Duration.ofMillis(100)).build());
  }

  /** Returns once a client sees JetStream answer (in a cluster: a meta leader was elected). */
  public void awaitJetStream() throws IOException, InterruptedException {
    long deadline = System.nanoTime() + READY_BOUND.toNanos();
    try (Connection connection = connect()) {
      while (true) {
        try {
          connection.jetStreamManagement().getAccountStatistics();
          return;
        } catch (IOException | io.nats.client.JetStreamApiException | RuntimeException e) {
          if (System.nanoTime() - deadline > 0) {
            throw new AssertionError("JetStream did not answer within " + READY_BOUND.toSeconds() + " s ("
                + e + "); logs: " + logs(), e);
          }
          Thread.sleep(50);
        }
      }
    }
  }

  /** Kills every node still running and deletes the directory. Idempotent. */
  @Override
  public void close() throws IOException {
    for (Node node : nodes) {
      node.kill();
    }
    if (Files.exists(directory)) {
      try (Stream<Path> files = Files.walk(directory)) {
        for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(file);
        }
      }
    }
  }

  /** Returns the tail of every node's log, for failure messages. */
  public String logs() {
    StringBuilder text = new StringBuilder();
    for (Node node : nodes) {
      text.append(System.lineSeparator()).append("--- ").append(node.name()).append(System.lineSeparator())
          .append(node.logTail());
    }
    return text.toString();
  }

  /** One nats-server process: its ports and store directory stay the same across {@link #kill} and {@link #start}. */
  public static final class Node {

    private final NatsTestCluster cluster;
    private final String name;
    private final int clientPort;
    private final int httpPort;
    private final int routePort;
    @Nullable private Process process;

    private Node(NatsTestCluster cluster, int number, int clientPort, int httpPort, int routePort) {
      this.cluster = cluster;
      this.name = "n" + number;
      this.clientPort = clientPort;
      this.httpPort = httpPort;
      this.routePort = routePort;
    }

    /** Returns the server name, {@code n1}, {@code n2}, ... */
    public String name() {
      return name;
    }

    /** Returns this node's client URL. */
    public String url() {
      return "nats://127.0.0.1:" + clientPort;
    }

    /** Returns the PID of the running process; fails when it is not running. */
    public long pid() {
      Process running = process;
      if (running == null || !running.isAlive()) {
        throw new IllegalStateException(name + " is not running");
      }
      return running.pid();
    }

    /** Returns whether the process runs. */
    public boolean isRunning() {
      Process running = process;
      return running != null && running.isAlive();
    }

    /** Kills the process with SIGKILL ({@code kill -9}, no shutdown) and waits for it to be gone. */
    public void kill() {
      Process running = process;
      if (running == null) {
        return;
      }
      running.destroyForcibly(); // SIGKILL on Linux and macOS
      try {
        if (!running.waitFor(30, TimeUnit.SECONDS)) {
          throw new AssertionError(name + " (pid " + running.pid() + ") did not die within 30 s of SIGKILL");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while killing " + name, e);
      }
      process = null;
    }

    /** Starts the node again on the same ports and store directory; returns once it answers {@code /healthz}. */
    public void start() throws IOException, InterruptedException {
      if (isRunning()) {
        throw new IllegalStateException(name + " is already running");
      }
      launch();
      awaitHealthy();
    }

    private Path config() {
      return cluster.directory.resolve(name + ".conf");
    }

    private Path log() {
      return cluster.directory.resolve(name + ".log");
    }

    private void writeConfig(List<Integer> routePorts) throws IOException {
      String store = cluster.directory.resolve("data-" + name).toString();
      StringBuilder config = new StringBuilder()
          .append("server_name: ").append(name).append('\n')
          .append("listen: 127.0.0.1:").append(clientPort).append('\n')
          .append("http: 127.0.0.1:").append(httpPort).append('\n')
          .append(cluster.jetStream ? "jetstream { store_dir: \"" + store + "\", max_file_store: 1G,"
              + " max_memory_store: 64M }\n" : "");
      if (!routePorts.isEmpty()) {
        config.append("cluster { name: ").append(CLUSTER_NAME).append(", listen: 127.0.0.1:").append(routePort)
            .append(", routes: [")
            .append(routePorts.stream().map(p -> "nats-route://127.0.0.1:" + p).collect(Collectors.joining(", ")))
            .append("] }\n");
      }
      Files.writeString(config(), config.toString(), StandardCharsets.UTF_8);
    }

    private void launch() throws IOException {
      process = new ProcessBuilder(cluster.binary.toString(), "-c", config().toString())
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log().toFile()))
          .start();
    }

    private void awaitHealthy() throws InterruptedException {
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
      String health = cluster.jetStream ? "/healthz?js-enabled-only=true" : "/healthz";
      HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + health))
          .timeout(Duration.ofSeconds(2)).build();
      long deadline = System.nanoTime() + READY_BOUND.toNanos();
      String last = "no answer";
      while (System.nanoTime() - deadline < 0) {
        if (!isRunning()) {
          throw new AssertionError(name + " exited while starting; its log:" + System.lineSeparator() + logTail());
        }
        try {
          HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
          if (response.statusCode() == 200) {
            return;
          }
          last = response.statusCode() + " " + response.body();
        } catch (IOException e) {
          last = e.toString();
        }
        Thread.sleep(20);
      }
      throw new AssertionError(name + " was not healthy within " + READY_BOUND.toSeconds() + " s (" + last
          + "); its log:" + System.lineSeparator() + logTail());
    }

    private String logTail() {
      try {
        List<String> lines = Files.exists(log()) ? Files.readAllLines(log(), StandardCharsets.UTF_8) : List.of();
        return String.join(System.lineSeparator(), lines.subList(Math.max(0, lines.size() - 20), lines.size()));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  private static Path binaryOrSkip() {
    Optional<Path> found = findBinary();
    if (found.isPresent()) {
      return found.get();
    }
    LocalNats.skipOrFail("nats-server not found (set " + BINARY_VARIABLE + ", put it on the PATH, or install the"
        + " Debian package nats-server)");
    throw new AssertionError("unreachable");
  }

  /** Returns whether NATS tests must run: {@value #REQUIRE_VARIABLE} is {@code true} or {@code 1}. */
  static boolean isRequired() {
    String value = System.getProperty(REQUIRE_VARIABLE, System.getenv(REQUIRE_VARIABLE));
    return value != null && (Boolean.parseBoolean(value.strip()) || value.strip().equals("1"));
  }

  private static Optional<Path> findBinary() {
    List<Path> candidates = new ArrayList<>();
    String configured = System.getenv(BINARY_VARIABLE);
    if (configured != null && !configured.isBlank()) {
      candidates.add(Paths.get(configured)); // only it: a wrong path is a missing binary, not a fallback
      return candidates.stream().filter(p -> Files.isRegularFile(p) && Files.isExecutable(p)).findFirst();
    }
    String path = System.getenv("PATH");
    if (path != null) {
      for (String dir : path.split(File.pathSeparator)) {
        if (!dir.isBlank()) {
          candidates.add(Paths.get(dir, "nats-server"));
        }
      }
    }
    candidates.add(Paths.get("/usr/sbin/nats-server"));
    return candidates.stream().filter(p -> Files.isRegularFile(p) && Files.isExecutable(p)).findFirst();
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
