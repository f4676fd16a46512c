package io.github.usergrpc.user.server.store;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * A PostgreSQL server of its own that a test starts, stops and starts again, to take the database away
 * from a store for real (not through a proxy): {@code initdb} into a temporary directory, {@code pg_ctl} on
 * a free port of 127.0.0.1, trust authentication, user {@code postgres}, database {@code postgres}. Run as
 * root, the tools run as the {@code postgres} OS user (PostgreSQL refuses root), through {@code runuser}.
 *
 * <pre>{@code
 * try (PrivatePostgres postgres = PrivatePostgres.startOrSkip()) {
 *   ... postgres.jdbcUrl() ...
 *   postgres.stop();
 *   postgres.start();
 * }
 * }</pre>
 *
 * <p>The binaries are found in {@code $PG_BIN}, else through {@code pg_config --bindir}, else in the newest
 * {@code /usr/lib/postgresql/<version>/bin}. Where they are missing the test is skipped with a message that
 * says so, unless {@value PostgresTestDatabase#REQUIRE_VARIABLE} is {@code true}: then it fails.
 */
public final class PrivatePostgres implements AutoCloseable {

  private static final long TOOL_TIMEOUT_SECONDS = 60;

  private final Path binaries;
  private final Path directory;
  private final int port;
  private final boolean asPostgresUser;

  private PrivatePostgres(Path binaries, Path directory, int port, boolean asPostgresUser) {
    this.binaries = binaries;
    this.directory = directory;
    this.port = port;
    this.asPostgresUser = asPostgresUser;
  }

  /**
   * Creates a cluster in a temporary directory and starts it.
   *
   * @return the running server
   * @throws IOException if a tool fails; the message holds its output
   */
  public static PrivatePostgres startOrSkip() throws IOException, InterruptedException {
    Optional<Path> binaries = findBinaries();
    if (binaries.isEmpty()) {
      String problem = "initdb and pg_ctl not found (set PG_BIN, or put pg_config on the PATH)";
      if (Boolean.parseBoolean(System.getProperty(PostgresTestDatabase.REQUIRE_VARIABLE,
          System.getenv(PostgresTestDatabase.REQUIRE_VARIABLE)))) {
        throw new AssertionError(problem + ". Failing because " + PostgresTestDatabase.REQUIRE_VARIABLE + "=true.");
      }
      System.out.println("SKIPPED: " + problem);
      Assumptions.abort(problem + ". Skipping; set " + PostgresTestDatabase.REQUIRE_VARIABLE
          + "=true to fail instead.");
    }
    boolean asPostgresUser = "root".equals(System.getProperty("user.name"));
    Path directory = Files.createTempDirectory("user-store-pg-");
    if (asPostgresUser) {
      UserPrincipal postgres = directory.getFileSystem().getUserPrincipalLookupService()
          .lookupPrincipalByName("postgres");
      Files.setOwner(directory, postgres);
    }
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    PrivatePostgres server = new PrivatePostgres(binaries.get(), directory, port, asPostgresUser);
    try {
      server.run("initdb", "-D", server.data(), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync");
      server.start();
    } catch (IOException | RuntimeException e) {
      server.close();
      throw e;
    }
    return server;
  }

  /** Returns the JDBC URL of the {@code postgres} database. */
  public String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
  }

  /** Returns the port. */
  public int port() {
    return port;
  }

  /** Starts the server and returns once it accepts connections. */
  public void start() throws IOException, InterruptedException {
    run("pg_ctl", "-D", data(), "-l", directory.resolve("server.log").toString(), "-w", "-t", "60",
        "-o", "-p " + port + " -k " + directory + " -c listen_addresses=127.0.0.1", "start");
  }

  /**
   * Stops the server as an operator would ({@code pg_ctl stop -m fast}: open sessions are ended, then a
   * clean shutdown) and returns once it is down.
   */
  public void stop() throws IOException, InterruptedException {
    run("pg_ctl", "-D", data(), "-m", "fast", "-w", "-t", "60", "stop");
  }

  /** Stops the server if it runs and deletes its directory. */
  @Override
  public void close() throws IOException, InterruptedException {
    try {
      if (Files.exists(directory.resolve("data/postmaster.pid"))) {
        run("pg_ctl", "-D", data(), "-m", "immediate", "-w", "stop");
      }
    } finally {
      try (Stream<Path> files = Files.walk(directory)) {
        for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(file);
        }
      }
    }
  }

  private String data() {
    return directory.resolve("data").toString();
  }

  private void run(String tool, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    if (asPostgresUser) {
      command.addAll(List.of("runuser", "-u", "postgres", "--"));
    }
    command.add(binaries.resolve(tool).toString());
    command.addAll(List.of(args));
    Path output = Files.createTempFile("user-store-pg-tool-", ".log");
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(output.toFile()).start();
      if (!process.waitFor(TOOL_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IOException(tool + " did not finish within " + TOOL_TIMEOUT_SECONDS + " s");
      }
      if (process.exitValue() != 0) {
        throw new IOException(tool + " failed (exit " + process.exitValue() + "): "
            + Files.readString(output, StandardCharsets.UTF_8));
      }
    } finally {
      Files.deleteIfExists(output);
    }
  }

  private static Optional<Path> findBinaries() {
    List<Path> candidates = new ArrayList<>();
    Optional.ofNullable(System.getenv("PG_BIN")).filter(bin -> !bin.isBlank()).map(Path::of).ifPresent(candidates::add);
    try {
      Process process = new ProcessBuilder("pg_config", "--bindir").redirectErrorStream(true).start();
      String bindir = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (process.waitFor(10, TimeUnit.SECONDS) && process.exitValue() == 0) {
        candidates.add(Path.of(bindir));
      }
    } catch (IOException | InterruptedException e) {
      // No pg_config on the PATH.
    }
    try (Stream<Path> versions = Files.list(Path.of("/usr/lib/postgresql"))) {
      versions.map(version -> version.resolve("bin"))
          .sorted(Comparator.comparing((Path bin) -> bin.getParent().getFileName().toString(),
              Comparator.comparingInt(PrivatePostgres::versionNumber)).reversed())
          .forEach(candidates::add);
    } catch (IOException e) {
      // Not a Debian-style installation.
    }
    return candidates.stream()
        .filter(bin -> Files.isExecutable(bin.resolve("initdb")) && Files.isExecutable(bin.resolve("pg_ctl")))
        .findFirst();
  }

  private static int versionNumber(String name) {
    try {
      return Integer.parseInt(name);
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
