package io.github.usergrpc.user.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usergrpc.user.server.activity.jetstream.NatsTestCluster;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

/**
 * A server that cannot start says why on one line with the remedy, exits with 1 and shows no stack trace
 * unless {@code --verbose}: each case run as an operator runs it, in its own JVM. PostgreSQL cases that need
 * a running database are in {@link StartupFailurePostgresTest}.
 */
class StartupFailureTest {

  private static final String PREFIX = "user-server: cannot start: ";

  @Test
  void h2PathUnderAFile_saysItIsNotADirectory(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("afile"), "");

    Failed failed = run("--port", "0", "--store", "h2:" + file.resolve("users"));

    failed.assertReason("--store h2:" + file.resolve("users") + ": " + file + " is not a directory;");
  }

  @Test
  void h2PathUnderProc_saysNoFilesCanBeCreatedThere() throws Exception {
    Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self")), "no /proc here (not Linux)");

    Failed failed = run("--port", "0", "--store", "h2:/proc/users");

    failed.assertReason("--store h2:/proc/users: cannot create files in /proc");
  }

  @Test
  void sqlitePathUnderAFile_saysItIsNotADirectory(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("afile"), "");

    Failed failed = run("--port", "0", "--store", "sqlite:" + file.resolve("users.db"));

    failed.assertReason("--store sqlite:" + file.resolve("users.db") + ": " + file + " is not a directory;");
  }

  @Test
  void sqlitePathUnderProc_saysNoFilesCanBeCreatedThere() throws Exception {
    Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self")), "no /proc here (not Linux)");

    Failed failed = run("--port", "0", "--store", "sqlite:/proc/users.db");

    failed.assertReason("--store sqlite:/proc/users.db: cannot create files in /proc");
  }

  @Test
  void sqlitePathOfADirectory_saysItIsADirectory(@TempDir Path dir) throws Exception {
    Failed failed = run("--port", "0", "--store", "sqlite:" + dir);

    failed.assertReason("--store sqlite:" + dir + ": " + dir + " is a directory; point --store at a file");
  }

  @Test
  void sqlitePathOfAnH2Database_saysItIsNotASqliteDatabase(@TempDir Path dir) throws Exception {
    Path h2 = dir.resolve("users");
    try (ServerProcess first = ServerProcess.start("--port", "0", "--store", "h2:" + h2)) {
      first.terminate();
    }

    Failed failed = run("--port", "0", "--store", "sqlite:" + h2 + ".mv.db");

    failed.assertReason("the file " + h2 + ".mv.db is not a SQLite database;");
  }

  @Test
  void h2PathInADirectoryWithoutWriteAccess_saysPermissionDenied(@TempDir Path dir) throws Exception {
    Path denied = deniedDirectory(dir);

    Failed failed = run("--port", "0", "--store", "h2:" + denied.resolve("users"));

    failed.assertReason("cannot create files in " + denied + " (permission denied)");
  }

  @Test
  void h2DatabaseOfARunningServer_saysItIsLockedAndByWhom(@TempDir Path dir) throws Exception {
    String path = dir.resolve("users").toString();
    try (ServerProcess first = ServerProcess.start("--port", "0", "--store", "h2:" + path)) {
      Failed failed = run("--port", "0", "--store", "h2:" + path);

      failed.assertReason("the database " + path + " is locked by another process (pid " + first.pid() + ");");
    }
  }

  @Test
  void postgresOnAClosedPort_saysConnectionRefusedAtHostAndPort() throws Exception {
    int closed;
    try (ServerSocket socket = new ServerSocket(0)) {
      closed = socket.getLocalPort();
    }

    Failed failed = run("--port", "0", "--store", "jdbc:postgresql://127.0.0.1:" + closed + "/test");

    failed.assertReason("connection refused at 127.0.0.1:" + closed + ";");
  }

  @Test
  void activityOnAClosedPort_saysItCannotConnectToNats(@TempDir Path dir) throws Exception {
    int closed;
    try (ServerSocket socket = new ServerSocket(0)) {
      closed = socket.getLocalPort();
    }

    Failed failed = run("--port", "0", "--store", "sqlite:" + dir.resolve("users.db"), "--activity",
        "nats://127.0.0.1:" + closed);

    failed.assertReason("cannot connect to NATS at nats://127.0.0.1:" + closed);
    failed.assertReason("; start the NATS server, or correct its address (--activity)");
  }

  @Test
  void activityOnANatsServerWithoutJetStream_saysToEnableIt(@TempDir Path dir) throws Exception {
    try (NatsTestCluster plain = NatsTestCluster.startWithoutJetStream()) {
      Failed failed = run("--port", "0", "--store", "sqlite:" + dir.resolve("users.db"), "--activity", plain.url());

      failed.assertReason("NATS at " + plain.url() + " did not answer a JetStream request");
      failed.assertReason("; start it with JetStream enabled (-js)");
    }
  }

  @Test
  void activityWithTheMemoryStore_isRefusedWithOneLineAndExitCode2() throws Exception {
    Process process = ServerProcess.launch("--port", "0", "--store", "memory", "--activity", "nats://127.0.0.1:4222");
    process.getOutputStream().close();
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String stderr = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);

    assertThat(process.exitValue()).isEqualTo(2);
    assertThat(stderr.lines().toList()).containsExactly("user-server: --activity nats://127.0.0.1:4222 needs a"
        + " database store, for the outbox that takes the events of changes to the stream: --store sqlite:<file>,"
        + " h2:<path> or jdbc:postgresql://host:port/db, not memory");
  }

  @ParameterizedTest
  @ValueSource(strings = {"--port", "--http-port", "--metrics-port"})
  void portInUse_saysPortAndOption_beforeOpeningTheStore(String option, @TempDir Path dir) throws Exception {
    try (ServerSocket taken = new ServerSocket(0)) {
      List<String> args = new ArrayList<>(List.of("--port", "0", "--store", "h2:" + dir.resolve("users")));
      if (option.equals("--port")) {
        args.set(1, Integer.toString(taken.getLocalPort()));
      } else {
        args.addAll(List.of(option, Integer.toString(taken.getLocalPort())));
      }
      Failed failed = run(args.toArray(new String[0]));

      failed.assertReason("port " + taken.getLocalPort() + " (" + option + ") is already in use;");
    }
    assertThat(dir).as("the store was never opened").isEmptyDirectory();
  }

  @Test
  void verbose_addsTheStackTraceAfterTheReason() throws Exception {
    int closed;
    try (ServerSocket socket = new ServerSocket(0)) {
      closed = socket.getLocalPort();
    }

    Failed failed = run("--port", "0", "--store", "jdbc:postgresql://127.0.0.1:" + closed + "/test", "--verbose");

    assertThat(failed.exitCode).isEqualTo(1);
    assertThat(failed.stderr).contains(PREFIX + "connection refused at 127.0.0.1:" + closed)
        .contains("Caused by: java.net.ConnectException")
        .containsPattern("\n\\s+at ");
  }

  @Test
  void postgresPasswordRejected_saysPasswordAuthenticationFailedForTheUser() {
    // The shared test database trusts every local connection, so this builds the driver's exception from the
    // message a server sends for a wrong password (SQLState 28P01), as pgjdbc does.
    PSQLException rejected = new PSQLException(new ServerErrorMessage("SFATAL\0VFATAL\0C28P01\0"
        + "Mpassword authentication failed for user \"bob\"\0Fauth.c\0L323\0Rauth_failed\0"));
    ServerOptions options = ServerOptions.parse(
        List.of("--store", "jdbc:postgresql://db.example:5433/users", "--db-user", "bob"), java.util.Map.of());

    StartupFailure failure = StartupFailure.openStore(new IllegalStateException("pool", rejected), options);

    assertThat(failure.getMessage()).isEqualTo("password authentication failed for user \"bob\" at"
        + " db.example:5433; fix --db-password (or --db-user)");
  }

  @Test
  void postgresRejectedByPgHba_saysSoAndNamesTheUserAndDatabase() {
    PSQLException rejected = new PSQLException(new ServerErrorMessage("SFATAL\0VFATAL\0C28000\0"
        + "Mno pg_hba.conf entry\0Fauth.c\0L543\0RClientAuthentication\0"));
    ServerOptions options = ServerOptions.parse(
        List.of("--store", "jdbc:postgresql://db.example/users?user=carol"), java.util.Map.of());

    StartupFailure failure = StartupFailure.openStore(new IllegalStateException("pool", rejected), options);

    assertThat(failure.getMessage()).startsWith("user \"carol\" may not connect to database \"users\" at"
        + " db.example:5432 (pg_hba.conf rejects it);");
  }

  /** Returns a directory this JVM cannot create files in, or skips the test if there is none. */
  private static Path deniedDirectory(Path dir) throws IOException {
    Path readOnly = Files.createDirectory(dir.resolve("read-only"));
    Files.setPosixFilePermissions(readOnly, PosixFilePermissions.fromString("r-xr-xr-x"));
    for (Path candidate : List.of(readOnly, Path.of("/sys/kernel"))) {
      if (Files.isDirectory(candidate) && deniesFiles(candidate)) {
        return candidate;
      }
    }
    Assumptions.abort("no directory denies this user new files (running as root, which permission bits do not"
        + " stop, and /sys/kernel accepts files)");
    throw new AssertionError("unreachable");
  }

  private static boolean deniesFiles(Path dir) throws IOException {
    try {
      Files.delete(Files.createTempFile(dir, "probe", ""));
      return false;
    } catch (AccessDeniedException e) {
      return true;
    }
  }

  private static Failed run(String... args) throws Exception {
    Process process = ServerProcess.launch(args);
    process.getOutputStream().close();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("the server did not exit: " + Arrays.toString(args));
    }
    return new Failed(process.exitValue(),
        new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
        new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
  }

  /** What a server that did not start left behind. */
  private record Failed(int exitCode, String stdout, String stderr) {

    /** Asserts exit code 1 and exactly one reason line, holding {@code expected}, and no stack trace. */
    void assertReason(String expected) {
      List<String> reasons = stderr.lines().filter(line -> line.startsWith(PREFIX)).toList();
      assertThat(exitCode).as(stderr).isEqualTo(1);
      assertThat(reasons).as(stderr).hasSize(1);
      assertThat(reasons.get(0)).contains(expected);
      assertThat(stderr + stdout).as("no stack trace without --verbose").doesNotContainPattern("(?m)^\\s+at ")
          .doesNotContain("Exception");
      Optional<String> noRemedy = reasons.stream().filter(line -> !line.contains("; ")).findAny();
      assertThat(noRemedy).as("a remedy after the cause").isEmpty();
    }
  }
}
