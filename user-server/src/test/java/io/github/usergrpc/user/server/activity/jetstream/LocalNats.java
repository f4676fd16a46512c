package io.github.usergrpc.user.server.activity.jetstream;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The machine's own NATS server with JetStream (the one the server runs against:
 * {@value #DEFAULT_URL}, or {@value #URL_VARIABLE}), for tests that run the server in JetStream mode: a JUnit
 * extension, used as an explicit field. Every {@link #freshStream()} is a stream name (and subject prefix) no
 * other test or run uses; the streams a test created are deleted after it (after the class, on a static
 * field), so runs never see each other's events and leave nothing behind. The server itself is shared and is
 * never stopped; tests that stop NATS start their own ({@link NatsTestCluster}).
 *
 * <pre>{@code
 * @RegisterExtension static final LocalNats nats = new LocalNats();
 *
 * JetStreamActivitySettings settings = nats.freshSettings();
 * }</pre>
 *
 * <p>The first {@link #freshStream()} checks the server: without a reachable server with JetStream on, the
 * test (or, from {@code @BeforeAll}, the class) is skipped with a message that says so, unless the system
 * property or environment variable {@value NatsTestCluster#REQUIRE_VARIABLE} is {@code true} (or {@code 1}):
 * then it fails. Tests of a class that do not ask for a stream run either way.
 */
public final class LocalNats implements BeforeAllCallback, AfterAllCallback, AfterEachCallback {

  /** The environment variable with the URL of the local NATS server. */
  public static final String URL_VARIABLE = "USER_NATS_URL";
  /** The server used when {@value #URL_VARIABLE} is not set. */
  public static final String DEFAULT_URL = "nats://127.0.0.1:4222";

  private final String url = Optional.ofNullable(System.getenv(URL_VARIABLE)).filter(v -> !v.isBlank())
      .orElse(DEFAULT_URL);
  private final Set<String> created = ConcurrentHashMap.newKeySet();
  private boolean perClass;
  private boolean checked;

  @Override
  public void beforeAll(ExtensionContext context) {
    perClass = true;
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    if (!perClass) {
      deleteStreams();
    }
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    deleteStreams();
  }

  /** Returns the server's URL. */
  public String url() {
    return url;
  }

  /**
   * Returns a stream name no other test or run uses, such as {@code UT_3f9a0c12d4e8}; its subject prefix is the
   * name in lower case (as {@code --activity-stream} makes it). It is deleted after the test (or class).
   */
  public String freshStream() {
    checkOrSkip();
    byte[] random = new byte[6];
    new SecureRandom().nextBytes(random);
    String name = "UT_" + HexFormat.of().formatHex(random);
    created.add(name);
    return name;
  }

  /** Returns settings for this server and a {@link #freshStream()}. */
  public JetStreamActivitySettings freshSettings() {
    String stream = freshStream();
    return JetStreamActivitySettings.of(url).withStreamName(stream).withSubjectPrefix(stream.toLowerCase());
  }

  /** Returns a new connection to the server; the caller closes it. */
  public Connection connect() throws IOException, InterruptedException {
    return Nats.connect(new Options.Builder().server(url).connectionTimeout(Duration.ofSeconds(2))
        .maxReconnects(-1).build());
  }

  private void checkOrSkip() {
    if (checked) {
      return;
    }
    try (Connection connection = connect()) {
      connection.jetStreamManagement().getAccountStatistics();
      checked = true;
    } catch (IOException | JetStreamApiException | RuntimeException e) {
      skipOrFail("no NATS server with JetStream at " + url + " (" + e.getMessage() + "); start one (nats-server -js)"
          + " or set " + URL_VARIABLE);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  private void deleteStreams() throws IOException, InterruptedException {
    if (created.isEmpty()) {
      return;
    }
    try (Connection connection = connect()) {
      JetStreamManagement management = connection.jetStreamManagement();
      for (String stream : List.copyOf(created)) {
        try {
          management.deleteStream(stream);
        } catch (JetStreamApiException e) {
          if (e.getApiErrorCode() != ActivityStreamSetup.STREAM_NOT_FOUND) {
            throw new IOException("cannot delete the test stream " + stream, e);
          }
        }
        created.remove(stream);
      }
    }
  }

  /** Skips the test with {@code problem}, or fails it when NATS is required (REQUIRE_NATS true or 1). */
  static void skipOrFail(String problem) {
    if (NatsTestCluster.isRequired()) {
      throw new AssertionError(problem + ". Failing because " + NatsTestCluster.REQUIRE_VARIABLE + " is set.");
    }
    Assumptions.abort(problem + ". Skipping; set " + NatsTestCluster.REQUIRE_VARIABLE + "=true to fail instead.");
  }
}
