package io.github.usergrpc.user.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usergrpc.user.server.store.jdbc.JdbcSettings;
import io.github.usergrpc.user.server.store.jdbc.JdbcUserStore;
import io.github.usergrpc.user.service.store.NewUser;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A process that creates users in an embedded database file until it is killed, printing the id of each
 * once {@code create} has returned; and the check that every user it printed survives a SIGKILL.
 */
final class KilledWriter {

  private KilledWriter() {}

  /**
   * Starts a writer on {@code jdbcUrl}, kills it (SIGKILL: no shutdown hook, no close) after 100
   * acknowledged creates, reopens the database and checks that all 100 are there.
   *
   * @param directory where the writer's stderr goes
   */
  static void assertKeepsEveryAcknowledgedUser(String jdbcUrl, Path directory) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process writer = new ProcessBuilder(java, "-XX:TieredStopAtLevel=1",
        "-cp", System.getProperty("java.class.path"), KilledWriter.class.getName(), jdbcUrl)
        .redirectError(directory.resolve("writer.log").toFile())
        .start();
    List<String> acknowledged = new ArrayList<>();
    try (BufferedReader out = new BufferedReader(
        new InputStreamReader(writer.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while (acknowledged.size() < 100 && (line = out.readLine()) != null) {
        acknowledged.add(line);
      }
    } finally {
      writer.destroyForcibly(); // SIGKILL on Linux: no shutdown hook, no close.
    }
    assertThat(writer.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(acknowledged).as(() -> "writer's stderr: " + readQuietly(directory.resolve("writer.log")))
        .hasSize(100);

    try (JdbcUserStore reopened = JdbcUserStore.open(JdbcSettings.newBuilder().setJdbcUrl(jdbcUrl).build())) {
      assertThat(acknowledged).allSatisfy(id -> assertThat(reopened.find(id)).isPresent());
    }
  }

  private static String readQuietly(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      return e.toString();
    }
  }

  public static void main(String[] args) {
    JdbcUserStore store = JdbcUserStore.open(JdbcSettings.newBuilder().setJdbcUrl(args[0]).build());
    for (int i = 0; ; i++) {
      store.create(new NewUser("u" + i, i + "@example.com", "N", "viewer", i), Optional.empty());
      System.out.println("u" + i);
      System.out.flush();
    }
  }
}
