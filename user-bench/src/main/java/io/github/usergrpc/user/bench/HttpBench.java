package io.github.usergrpc.user.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.HdrHistogram.Histogram;

/**
 * The HTTP port against hostile and many clients (issue 15), on the real server jar (memory store) in its own
 * process on core 0, the clients in this JVM on core 1, over loopback.
 *
 * <ol>
 *   <li>Slow headers: {@code trickling} connections each send a request line, then one header line a second
 *       and never finish their head; one the server closes is opened again at once. Meanwhile a normal client
 *       sends GET /v1/users/{id} at a fixed rate on a keep-alive connection: its latency, and the server's
 *       threads and heap.
 *   <li>Server-sent events: {@code watchers} watch streams of one user (one connection each), each confirmed
 *       by its response head; the server's heap after GC and threads with them open; then one RecordActivity,
 *       and the time until every stream has received it.
 * </ol>
 */
final class HttpBench {

  private static final Pattern ID = Pattern.compile("\"id\":\"([^\"]+)\"");

  private final Path root = BenchmarksFile.repositoryRoot();
  private final int trickling;
  private final Duration trickleDuration;
  private final int getRate;
  private final int watchers;

  private HttpBench(Args args) {
    trickling = args.integer("trickling", 2_000);
    trickleDuration = args.seconds("trickle-seconds", 40);
    getRate = args.integer("get-rate", 20);
    watchers = args.integer("watchers", 10_000);
  }

  static void run(Args args) throws Exception {
    String loadBefore = Machine.loadAverage();
    HttpBench bench = new HttpBench(args);
    String markdown = bench.measure(args.string("command", "scripts/bench/http.sh"), loadBefore);
    BenchmarksFile.writeSection("http", markdown);
    System.out.println(markdown);
  }

  private String measure(String command, String loadBefore) throws Exception {
    int grpcPort = ServerProcess.freePort();
    int httpPort = ServerProcess.freePort();
    String java = ServerProcess.jdkTool("java");
    List<String> serverCommand = List.of(java, "-jar", root.resolve("user-server/target/user-server.jar").toString(),
        "--port", Integer.toString(grpcPort), "--http-port", Integer.toString(httpPort), "--store", "memory",
        "--max-watches", Integer.toString(2 * watchers), "--max-watches-per-user", Integer.toString(2 * watchers),
        "--http-max-watches", Integer.toString(2 * watchers));
    try (ServerProcess server = ServerProcess.start("http-server", "0", serverCommand, httpPort,
        root.resolve("user-bench/target/bench-logs"))) {
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      String id = create(http, httpPort);
      double idleHeap = ProcessProbe.heapAfterGcMiB(server.pid(), 3);
      int idleThreads = ProcessProbe.threads(server.pid());

      Trickle trickle = trickle(http, httpPort, id, server.pid());
      Fanout fanout = fanout(http, httpPort, id, server.pid());

      String serverLine = String.join(" ", serverCommand.subList(1, serverCommand.size()))
          .replace(root.toString() + "/", "");
      return "## HTTP port: slow clients and 10,000 event streams\n\n"
          + Machine.header(command, loadBefore)
          + "- Server: `java " + serverLine + "` (default JVM flags, HTTP port on Armeria, idle timeout 15 s,"
          + " request timeout 30 s) pinned to core 0; clients in the bench JVM on core 1, over loopback, HTTP/1.1.\n"
          + "- Slow headers: " + trickling + " connections each send `GET /v1/users HTTP/1.1`, then one header"
          + " line a second, never ending the head; a connection the server closes is opened again at once."
          + " Meanwhile GET /v1/users/{id} at " + getRate + "/s on one keep-alive connection (JDK HttpClient) for "
          + trickleDuration.toSeconds() + " s.\n"
          + "- Event streams: " + watchers + " `Accept: text/event-stream` watches of one user, one connection"
          + " each (NIO, one thread), each confirmed by its `200` head; then one RecordActivity over HTTP and"
          + " the time until every stream has its `event: activity`.\n"
          + "- The machine is shared: other work was running on it during this run (see the load average).\n\n"
          + "| measurement | value |\n|---|---|\n"
          + "| server heap after GC, idle (MiB) | " + Stats.fmt("%.1f", idleHeap) + " |\n"
          + "| server threads, idle | " + idleThreads + " |\n"
          + "| trickling connections held open at the end / closed by the server (and reopened) | "
          + trickle.openAtEnd + " / " + trickle.closedByServer + " |\n"
          + "| normal GETs sent / answered 200 / failed | " + trickle.sent + " / " + trickle.ok + " / "
          + trickle.failed + " |\n"
          + "| normal GET p50 / p99 / max while trickled (ms) | " + ms(trickle.latency, 50) + " / "
          + ms(trickle.latency, 99) + " / " + Stats.fmt("%.1f", trickle.latency.getMaxValue() / 1000.0) + " |\n"
          + "| server threads while trickled | " + trickle.threads + " |\n"
          + "| server heap after GC while trickled (MiB) | " + Stats.fmt("%.1f", trickle.heapMiB) + " |\n"
          + "| event streams confirmed open | " + fanout.open + " of " + watchers + " |\n"
          + "| server heap after GC with them open (MiB) | " + Stats.fmt("%.1f", fanout.heapMiB) + " |\n"
          + "| server heap per open stream (KiB) | "
          + Stats.fmt("%.1f", (fanout.heapMiB - idleHeap) * 1024 / Math.max(1, fanout.open)) + " |\n"
          + "| server threads with them open | " + fanout.threads + " |\n"
          + "| streams that received the update | " + fanout.received + " of " + fanout.open + " |\n"
          + "| update to the last stream (ms) | " + Stats.fmt("%.0f", fanout.lastMillis) + " |\n\n"
          + "Targets:\n\n| target | measured | met? |\n|---|---|---|\n"
          + "| a normal GET keeps p99 < 100 ms while " + trickling + " connections trickle headers | "
          + ms(trickle.latency, 99) + " ms, " + trickle.failed + " failed | "
          + (trickle.latency.getValueAtPercentile(99) < 100_000 && trickle.failed == 0 ? "yes" : "no") + " |\n"
          + "| " + watchers + " SSE watches held, an update reaches all | " + fanout.open + " held, "
          + fanout.received + " reached | " + (fanout.open == watchers && fanout.received == watchers ? "yes" : "no")
          + " |\n";
    }
  }

  private static String ms(Histogram latency, double percentile) {
    return Stats.fmt("%.1f", latency.getValueAtPercentile(percentile) / 1000.0);
  }

  private static String create(HttpClient http, int port) throws Exception {
    HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/users"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"email\":\"bench@example.com\",\"name\":\"Bench\"}")).build(),
        HttpResponse.BodyHandlers.ofString());
    Matcher id = ID.matcher(created.body());
    if (created.statusCode() != 200 || !id.find()) {
      throw new IOException("cannot create the user: " + created.statusCode() + " " + created.body());
    }
    return id.group(1);
  }

  record Trickle(int openAtEnd, long closedByServer, long sent, long ok, long failed, Histogram latency, int threads,
      double heapMiB) {}

  /** Holds {@link #trickling} slow-header connections while timing normal GETs. */
  private Trickle trickle(HttpClient http, int port, String id, long serverPid) throws Exception {
    InetSocketAddress address = new InetSocketAddress("127.0.0.1", port);
    List<SocketChannel> slow = new ArrayList<>();
    for (int i = 0; i < trickling; i++) {
      slow.add(openSlow(address));
    }
    Histogram latency = new Histogram(TimeUnit.SECONDS.toMicros(30), 3);
    long sent = 0;
    long ok = 0;
    long failed = 0;
    long closed = 0;
    ByteBuffer header = ByteBuffer.wrap("X-Slow: 1\r\n".getBytes(StandardCharsets.US_ASCII));
    ByteBuffer sink = ByteBuffer.allocate(4096);
    HttpRequest get = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/users/" + id))
        .timeout(Duration.ofSeconds(10)).GET().build();
    long start = System.nanoTime();
    long end = start + trickleDuration.toNanos();
    long nextTrickle = start;
    long interval = TimeUnit.SECONDS.toNanos(1) / getRate;
    long nextGet = start;
    int threads = 0;
    while (System.nanoTime() < end) {
      long now = System.nanoTime();
      if (now >= nextTrickle) {
        for (int i = 0; i < slow.size(); i++) {
          SocketChannel channel = slow.get(i);
          boolean gone;
          try {
            sink.clear();
            gone = channel.read(sink) < 0;
            if (!gone) {
              header.rewind();
              channel.write(header);
            }
          } catch (IOException reset) {
            gone = true;
          }
          if (gone) {
            closed++;
            channel.close();
            slow.set(i, openSlow(address));
          }
        }
        nextTrickle += TimeUnit.SECONDS.toNanos(1);
      }
      if (System.nanoTime() >= nextGet) {
        sent++;
        long began = System.nanoTime();
        try {
          HttpResponse<String> response = http.send(get, HttpResponse.BodyHandlers.ofString());
          latency.recordValue(Math.min(TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - began),
              latency.getHighestTrackableValue()));
          if (response.statusCode() == 200) {
            ok++;
          } else {
            failed++;
          }
        } catch (IOException e) {
          failed++;
        }
        nextGet += interval;
        if (sent == (long) getRate * trickleDuration.toSeconds() / 2) {
          threads = ProcessProbe.threads(serverPid);
        }
      }
      Thread.sleep(1);
    }
    double heap = ProcessProbe.heapAfterGcMiB(serverPid, 1);
    int open = 0;
    for (SocketChannel channel : slow) {
      if (channel.isOpen()) {
        open++;
      }
      channel.close();
    }
    return new Trickle(open, closed, sent, ok, failed, latency, threads, heap);
  }

  private static SocketChannel openSlow(InetSocketAddress address) throws IOException {
    SocketChannel channel = SocketChannel.open(address);
    channel.write(ByteBuffer.wrap("GET /v1/users HTTP/1.1\r\nHost: bench\r\n".getBytes(StandardCharsets.US_ASCII)));
    channel.configureBlocking(false);
    return channel;
  }

  record Fanout(int open, int received, double lastMillis, int threads, double heapMiB) {}

  /** Opens {@link #watchers} event streams, then sends one event and waits until all have it. */
  private Fanout fanout(HttpClient http, int port, String id, long serverPid) throws Exception {
    InetSocketAddress address = new InetSocketAddress("127.0.0.1", port);
    byte[] request = ("GET /v1/users/" + id + "/activity:watch HTTP/1.1\r\nHost: bench\r\n"
        + "Accept: text/event-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    List<Stream> streams = new ArrayList<>();
    try (Selector selector = Selector.open()) {
      for (int i = 0; i < watchers; i++) {
        SocketChannel channel = SocketChannel.open(address);
        channel.write(ByteBuffer.wrap(request));
        channel.configureBlocking(false);
        Stream stream = new Stream(channel);
        channel.register(selector, SelectionKey.OP_READ, stream);
        streams.add(stream);
        if (i % 200 == 199) {
          // Paces the connects so that the accept backlog never overflows.
          poll(selector, streams, s -> s.open, i + 1, Duration.ofSeconds(30));
        }
      }
      int open = poll(selector, streams, s -> s.open, watchers, Duration.ofSeconds(60));
      double heap = ProcessProbe.heapAfterGcMiB(serverPid, 3);
      int threads = ProcessProbe.threads(serverPid);

      long sentAt = System.nanoTime();
      HttpResponse<String> recorded = http.send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + port + "/v1/users/" + id + "/activity"))
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"action\":\"bench\",\"details\":\"fan-out\"}")).build(),
          HttpResponse.BodyHandlers.ofString());
      if (recorded.statusCode() != 200) {
        throw new IOException("RecordActivity failed: " + recorded.statusCode() + " " + recorded.body());
      }
      int received = poll(selector, streams, s -> s.receivedAt > 0, open, Duration.ofSeconds(60));
      long last = streams.stream().mapToLong(s -> s.receivedAt).max().orElse(sentAt);
      for (Stream stream : streams) {
        stream.channel.close();
      }
      return new Fanout(open, received, (last - sentAt) / 1e6, threads, heap);
    }
  }

  /** Reads every ready stream until {@code count} of them satisfy {@code done}, or the patience runs out. */
  private static int poll(Selector selector, List<Stream> streams, java.util.function.Predicate<Stream> done,
      int count, Duration patience) throws IOException {
    long deadline = System.nanoTime() + patience.toNanos();
    ByteBuffer buffer = ByteBuffer.allocate(16 * 1024);
    int satisfied = (int) streams.stream().filter(done).count();
    while (satisfied < count && System.nanoTime() < deadline) {
      selector.select(100);
      Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
      while (keys.hasNext()) {
        SelectionKey key = keys.next();
        keys.remove();
        Stream stream = (Stream) key.attachment();
        buffer.clear();
        int read;
        try {
          read = stream.channel.read(buffer);
        } catch (IOException reset) {
          read = -1;
        }
        if (read < 0) {
          key.cancel();
          continue;
        }
        stream.accept(new String(buffer.array(), 0, read, StandardCharsets.US_ASCII));
      }
      satisfied = (int) streams.stream().filter(done).count();
    }
    return satisfied;
  }

  /** One event stream as the bench reads it. */
  private static final class Stream {
    final SocketChannel channel;
    private final StringBuilder seen = new StringBuilder();
    boolean open;
    long receivedAt;

    Stream(SocketChannel channel) {
      this.channel = channel;
    }

    void accept(String text) {
      seen.append(text);
      if (!open && seen.indexOf("HTTP/1.1 200") == 0 && seen.indexOf("\r\n\r\n") > 0) {
        open = true;
      }
      if (receivedAt == 0 && seen.indexOf("event: activity") >= 0) {
        receivedAt = System.nanoTime();
      }
      if (seen.length() > 8192) {
        seen.delete(0, seen.length() - 64);
      }
    }
  }
}
