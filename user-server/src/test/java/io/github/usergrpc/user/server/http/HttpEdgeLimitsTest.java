package io.github.usergrpc.user.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usergrpc.user.testsupport.GrpcCleanup;
import io.github.usergrpc.user.testsupport.LoopbackHttp;
import io.grpc.inprocess.InProcessChannelBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The HTTP port against slow and greedy clients: trickled headers and bodies shorter than they promise are
 * cut off after the documented timeouts while other requests are answered, and connections and watches are
 * bounded.
 */
class HttpEdgeLimitsTest {

  private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(1);
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(2);
  private static final Duration PATIENCE = Duration.ofSeconds(15);

  @RegisterExtension
  final GrpcCleanup cleanup = new GrpcCleanup();
  private HttpEdge edge;
  private final List<Socket> sockets = new ArrayList<>();
  private final HttpClient http = LoopbackHttp.newClient();

  private void start(int maxConnections, int maxWatches) throws Exception {
    edge = EdgeFixture.start(cleanup, InProcessChannelBuilder::directExecutor, builder -> builder
        .setIdleTimeout(IDLE_TIMEOUT)
        .setRequestTimeout(REQUEST_TIMEOUT)
        .setMaxConnections(maxConnections)
        .setMaxWatches(maxWatches)).edge();
  }

  @Test
  void tricklingHeaders_closedAfterTheIdleTimeout_whileOtherRequestsAreAnswered() throws Exception {
    start(HttpEdge.DEFAULT_MAX_CONNECTIONS, HttpEdge.DEFAULT_MAX_WATCHES);
    Socket slow = connect();
    OutputStream out = slow.getOutputStream();
    out.write("GET /v1/users HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
    long start = System.nanoTime();

    boolean closed = false;
    int answeredMeanwhile = 0;
    while (!closed && System.nanoTime() - start < PATIENCE.toNanos()) {
      try {
        out.write("X-Slow: 1\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        closed = endOfStream(slow, 200);
      } catch (IOException reset) {
        closed = true;
      }
      if (get("/v1/users").statusCode() == 200) {
        answeredMeanwhile++;
      }
    }
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    assertThat(closed).as("the trickling connection was closed").isTrue();
    assertThat(took).isGreaterThanOrEqualTo(IDLE_TIMEOUT).isLessThan(PATIENCE);
    assertThat(answeredMeanwhile).isPositive();
    assertThat(get("/v1/users").statusCode()).isEqualTo(200);
  }

  @Test
  void bodyShorterThanItsContentLength_answeredUnavailableAfterTheRequestTimeout() throws Exception {
    start(HttpEdge.DEFAULT_MAX_CONNECTIONS, HttpEdge.DEFAULT_MAX_WATCHES);
    Socket lying = connect();
    lying.getOutputStream().write(("POST /v1/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + "Content-Length: 100\r\n\r\n{\"name\":").getBytes(StandardCharsets.US_ASCII));
    long start = System.nanoTime();

    String answer = readUntilClosed(lying, PATIENCE);
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    assertThat(answer).startsWith("HTTP/1.1 503").contains("\"code\":14");
    assertThat(took).isGreaterThanOrEqualTo(REQUEST_TIMEOUT).isLessThan(PATIENCE);
    assertThat(get("/v1/users").statusCode()).isEqualTo(200);
  }

  @Test
  void watches_pastTheLimit_are429WithAStatusBody_andFreedWhenAClientLeaves() throws Exception {
    start(HttpEdge.DEFAULT_MAX_CONNECTIONS, 2);
    HttpResponse<String> created = http.send(HttpRequest.newBuilder(uri("/v1/users"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"email\":\"w@example.com\",\"name\":\"W\"}")).build(),
        HttpResponse.BodyHandlers.ofString());
    Matcher id = Pattern.compile("\"id\":\"([^\"]+)\"").matcher(created.body());
    assertThat(id.find()).isTrue();
    String watch = "/v1/users/" + id.group(1) + "/activity:watch";
    Socket first = openWatch(watch);
    openWatch(watch);

    HttpResponse<String> third = get(watch);
    first.close();
    awaitOpenWatches(1);
    Socket fourth = openWatch(watch);

    assertThat(third.statusCode()).isEqualTo(429);
    assertThat(third.headers().firstValue("Content-Type")).contains("application/json");
    assertThat(third.body()).contains("\"code\":8", "TOO_MANY_WATCHES");
    assertThat(fourth.isClosed()).isFalse();
  }

  @Test
  void connectionsPastTheLimit_areClosed() throws Exception {
    start(2, HttpEdge.DEFAULT_MAX_WATCHES);
    Socket one = connect();
    Socket two = connect();
    assertThat(one.isConnected() && two.isConnected()).isTrue();
    awaitAccepted(2);

    Socket three = connect();

    assertThat(endOfStream(three, (int) PATIENCE.toMillis())).isTrue();
  }

  private Socket openWatch(String path) throws IOException {
    Socket socket = connect();
    socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII));
    socket.setSoTimeout((int) PATIENCE.toMillis());
    byte[] head = new byte[15];
    int read = socket.getInputStream().readNBytes(head, 0, head.length);
    assertThat(new String(head, 0, read, StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 200 OK");
    return socket;
  }

  private void awaitOpenWatches(int count) throws InterruptedException {
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    while (edge.openWatches() != count) {
      assertThat(System.nanoTime()).as("open watches reach " + count).isLessThan(deadline);
      Thread.sleep(20);
    }
  }

  /** Waits until the server has taken {@code count} connections: a further one is then past the limit. */
  private void awaitAccepted(int count) throws Exception {
    // A complete request on each proves the server has accepted and counted it.
    for (Socket socket : sockets.subList(0, count)) {
      socket.getOutputStream().write("GET /v1/users HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      socket.setSoTimeout((int) PATIENCE.toMillis());
      byte[] head = new byte[12];
      socket.getInputStream().readNBytes(head, 0, head.length);
      assertThat(new String(head, StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 200");
    }
  }

  private Socket connect() throws IOException {
    Socket socket = cleanup.register(new Socket(InetAddress.getLoopbackAddress(), edge.port()));
    sockets.add(socket);
    return socket;
  }

  /** Returns whether the peer has closed {@code socket}, waiting at most {@code millis}; skips any answer. */
  private static boolean endOfStream(Socket socket, int millis) throws IOException {
    socket.setSoTimeout(millis);
    InputStream in = socket.getInputStream();
    try {
      while (true) {
        if (in.read() < 0) {
          return true;
        }
      }
    } catch (SocketTimeoutException stillOpen) {
      return false;
    } catch (IOException reset) {
      return true;
    }
  }

  private static String readUntilClosed(Socket socket, Duration patience) throws IOException {
    socket.setSoTimeout((int) patience.toMillis());
    StringBuilder answer = new StringBuilder();
    InputStream in = socket.getInputStream();
    byte[] buffer = new byte[1024];
    try {
      int read;
      while ((read = in.read(buffer)) >= 0) {
        answer.append(new String(buffer, 0, read, StandardCharsets.UTF_8));
        if (answer.indexOf("\r\n\r\n") > 0 && answer.toString().contains("}")) {
          break;
        }
      }
    } catch (IOException reset) {
      // Closed: return what came before.
    }
    return answer.toString();
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(5)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + edge.port() + path);
  }
}
