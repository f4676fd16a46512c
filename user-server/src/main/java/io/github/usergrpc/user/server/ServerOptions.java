package io.github.usergrpc.user.server;

import static java.util.Objects.requireNonNull;

import io.github.usergrpc.user.server.http.HttpEdge;
import io.github.usergrpc.user.server.store.jdbc.JdbcSettings;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The command line of the server: each option also settable by an environment variable, the command line
 * winning. Immutable; {@link #parse} rejects anything it does not understand with a one-line message.
 *
 * @param port the port; 0 picks a free one
 * @param store {@code memory}, {@code sqlite:<file>}, {@code h2:<path>} or a {@code jdbc:postgresql://} URL
 * @param dbUser the database user, if any
 * @param dbPassword the database password, if any
 * @param tlsCert the certificate chain (PEM) to serve TLS with, if any
 * @param tlsKey the private key (PEM, PKCS#8) of {@code tlsCert}, if any
 * @param tlsClientCa the CA certificates (PEM) that client certificates must be signed by, if any: mutual TLS
 * @param authTokens the token file (see {@link AccessTokens}), if any: bearer tokens required
 * @param limits the limits against abuse
 * @param httpPort the port of the HTTP/JSON gateway (which also serves {@code /metrics}), if any; 0 picks one
 * @param metricsPort a port serving only {@code /metrics} (Prometheus text), if any; 0 picks one
 * @param host the address the gRPC and HTTP ports listen on, if given; see {@link #bindAddress}
 * @param metricsHost the address the metrics port listens on
 * @param httpMaxConnections {@code --http-max-connections}: connections open at once on the HTTP port
 * @param httpMaxWatches {@code --http-max-watches}: activity watches open at once on the HTTP port
 * @param httpCorsOrigins {@code --http-cors-origins}: web origins allowed to call the HTTP port
 * @param activityRetention how long a SQLite, H2 or PostgreSQL store keeps activity events (with
 *     {@code jetStream}: the stream's max age)
 * @param jetStream where the activity log lives when not in the store's database: a NATS JetStream stream
 * @param dbNotify {@code --db-notify}: whether the servers of a PostgreSQL store wake each other with
 *     LISTEN/NOTIFY when they commit activity (without {@code jetStream})
 * @param watchPollInterval {@code --watch-poll-interval}: how often the server looks in a shared database for
 *     activity that other servers committed (the backstop of {@code dbNotify}, less often with it)
 * @param otlpEndpoint the OTLP/HTTP collector to send traces to, if any: tracing on
 * @param help whether to print the usage and exit
 * @param hashToken whether to read a token from standard input, print its token-file hash and exit
 * @param verbose whether a failure to start prints its stack trace after its one-line reason
 */
record ServerOptions(int port, String store, Optional<String> dbUser, Optional<String> dbPassword,
    Optional<Path> tlsCert, Optional<Path> tlsKey, Optional<Path> tlsClientCa, Optional<Path> authTokens,
    Limits limits, Optional<Integer> httpPort, Optional<Integer> metricsPort, Optional<String> host,
    String metricsHost, int httpMaxConnections, int httpMaxWatches, List<String> httpCorsOrigins,
    Duration activityRetention, Optional<JetStream> jetStream, boolean dbNotify, Duration watchPollInterval,
    Optional<URI> otlpEndpoint, boolean help,
    boolean hashToken, boolean verbose) {

  static final int DEFAULT_PORT = 50051;
  static final String DEFAULT_STORE = "sqlite:./data/users.db";
  /**
   * The default store of earlier versions. A server started without {@code --store} in a directory that has
   * its database and not {@link #DEFAULT_STORE}'s keeps using it, so that an upgrade does not start on an
   * empty database; see {@link #defaultStore}.
   */
  static final String EARLIER_DEFAULT_STORE = "h2:./data/users";
  /** The default of {@code --metrics-host}: metrics are for the machine's own Prometheus agent. */
  static final String DEFAULT_METRICS_HOST = "127.0.0.1";
  /**
   * The default backstop poll of servers that wake each other with LISTEN/NOTIFY ({@code --db-notify true}):
   * a notification only fails to come when a server dies between its commit and its NOTIFY, and a listener that
   * lost its session reads every watched head when it is back. Each poll reads the heads of every user with a
   * watch on the server; at 100 ms, with 333 watched users per replica, that cost each replica about 15 ms of
   * CPU per second (its feed thread) and the database about 8 more (one A/B on a loaded machine), for nothing
   * while the notifications came (2026-12-07).
   */
  static final Duration NOTIFIED_WATCH_POLL_INTERVAL = Duration.ofSeconds(1);

  /**
   * The limits against abuse, each with its option.
   *
   * @param maxMessageBytes {@code --max-message-size}: the largest request accepted, in bytes
   * @param maxCallsPerConnection {@code --max-calls-per-connection}: concurrent calls (HTTP/2 streams) on
   *     one connection
   * @param maxWatches {@code --max-watches}: open WatchUserActivity streams on the server
   * @param maxWatchesPerUser {@code --max-watches-per-user}: open streams watching one user
   * @param defaultDeadline {@code --default-deadline}: the deadline of unary calls that come without one;
   *     zero for none
   * @param permitKeepAliveTime {@code --permit-keepalive-time}: the shortest interval between client
   *     keepalive pings that the server tolerates
   */
  record Limits(int maxMessageBytes, int maxCallsPerConnection, int maxWatches, int maxWatchesPerUser,
      Duration defaultDeadline, Duration permitKeepAliveTime) {

    /** The smallest {@code --max-message-size}: the largest valid request is about 17 KiB. */
    static final int MIN_MESSAGE_BYTES = 32 * 1024;

    /** Returns the defaults, as the README's table lists them. */
    static Limits defaults() {
      return new Limits(UserServerMain.DEFAULT_MAX_MESSAGE_BYTES, UserServerMain.DEFAULT_MAX_CALLS_PER_CONNECTION,
          UserServer.Builder.DEFAULT_MAX_WATCHES, UserServer.Builder.DEFAULT_MAX_WATCHES_PER_USER,
          UserServer.Builder.DEFAULT_CALL_DEADLINE, UserServerMain.DEFAULT_PERMIT_KEEPALIVE_TIME);
    }
  }

  /**
   * The activity log on NATS JetStream ({@code --activity nats://...}).
   *
   * @param servers {@code --activity}: NATS URLs, {@code nats://host:port} (or {@code tls://})
   * @param stream {@code --activity-stream}: the stream's name; its subjects are the name in lower case, a dot
   *     and the encoded user id
   * @param replicas {@code --activity-replicas}: copies of the stream, 1, or 3 on a three-node cluster
   */
  record JetStream(List<String> servers, String stream, int replicas) {

    /** The default of {@code --activity-stream}. */
    static final String DEFAULT_STREAM = "ACTIVITY";

    JetStream {
      servers = List.copyOf(servers);
      requireNonNull(stream, "stream");
    }

    /** Returns the subject prefix: the stream's name in lower case. */
    String subjectPrefix() {
      return stream.toLowerCase(Locale.ROOT);
    }
  }

  /** Each option with its environment variable and its help text, in the order --help lists them. */
  private static final Map<String, String[]> OPTIONS = new LinkedHashMap<>();

  private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m|h)?");
  private static final Duration MAX_DURATION = Duration.ofDays(1);
  private static final Pattern RETENTION = Pattern.compile("(\\d{1,9})(s|m|h|d)");

  static {
    Limits defaults = Limits.defaults();
    OPTIONS.put("--port", new String[] {"USER_SERVER_PORT",
        "port to listen on (default " + DEFAULT_PORT + "; 0 picks a free port)"});
    OPTIONS.put("--host", new String[] {"USER_SERVER_HOST",
        "address of the gRPC and HTTP ports (default: all interfaces with TLS or tokens, else 127.0.0.1)"});
    OPTIONS.put("--store", new String[] {"USER_SERVER_STORE",
        "memory | sqlite:<file> | h2:<path> | jdbc:postgresql://host:port/db (default " + DEFAULT_STORE
            + ", or " + EARLIER_DEFAULT_STORE + " where only that database exists)"});
    OPTIONS.put("--db-user", new String[] {"USER_SERVER_DB_USER", "database user"});
    OPTIONS.put("--db-password", new String[] {"USER_SERVER_DB_PASSWORD", "database password"});
    OPTIONS.put("--tls-cert", new String[] {"USER_SERVER_TLS_CERT", "PEM certificate chain; enables TLS"});
    OPTIONS.put("--tls-key", new String[] {"USER_SERVER_TLS_KEY", "PEM private key (PKCS#8) of --tls-cert"});
    OPTIONS.put("--tls-client-ca", new String[] {"USER_SERVER_TLS_CLIENT_CA",
        "PEM CA certificates; requires client certificates signed by them (mutual TLS)"});
    OPTIONS.put("--auth-tokens", new String[] {"USER_SERVER_AUTH_TOKENS",
        "token file; requires bearer tokens (lines: sha256:<hex> <principal> <scope>[,<scope>])"});
    OPTIONS.put("--max-message-size", new String[] {"USER_SERVER_MAX_MESSAGE_SIZE",
        "largest request in bytes (default " + defaults.maxMessageBytes() + ")"});
    OPTIONS.put("--max-calls-per-connection", new String[] {"USER_SERVER_MAX_CALLS_PER_CONNECTION",
        "concurrent calls on one connection (default " + defaults.maxCallsPerConnection() + ")"});
    OPTIONS.put("--max-watches", new String[] {"USER_SERVER_MAX_WATCHES",
        "open activity watches on the server (default " + defaults.maxWatches() + ")"});
    OPTIONS.put("--max-watches-per-user", new String[] {"USER_SERVER_MAX_WATCHES_PER_USER",
        "open activity watches of one user (default " + defaults.maxWatchesPerUser() + ")"});
    OPTIONS.put("--default-deadline", new String[] {"USER_SERVER_DEFAULT_DEADLINE",
        "deadline of calls sent without one, e.g. 500ms, 30s, 2m; 0 for none (default "
            + format(defaults.defaultDeadline()) + ")"});
    OPTIONS.put("--permit-keepalive-time", new String[] {"USER_SERVER_PERMIT_KEEPALIVE_TIME",
        "shortest client keepalive ping interval tolerated (default "
            + format(defaults.permitKeepAliveTime()) + ")"});
    OPTIONS.put("--activity-retention", new String[] {"USER_SERVER_ACTIVITY_RETENTION",
        "how long sqlite, h2 and PostgreSQL stores keep activity events, e.g. 12h, 30d (default "
            + JdbcSettings.DEFAULT_ACTIVITY_RETENTION.toDays() + "d)"});
    OPTIONS.put("--activity", new String[] {"USER_SERVER_ACTIVITY",
        "where activity events live: database (the store's) | nats://host:port[,nats://host2:port...],"
            + " a NATS JetStream stream, with a database store (default database)"});
    OPTIONS.put("--activity-stream", new String[] {"USER_SERVER_ACTIVITY_STREAM",
        "with --activity nats://...: the JetStream stream (default " + JetStream.DEFAULT_STREAM + ")"});
    OPTIONS.put("--activity-replicas", new String[] {"USER_SERVER_ACTIVITY_REPLICAS",
        "with --activity nats://...: copies of the stream, 1, or 3 on a JetStream cluster (default 1)"});
    OPTIONS.put("--db-notify", new String[] {"USER_SERVER_DB_NOTIFY",
        "true | false: with activity in a PostgreSQL database, servers wake each other's watches with"
            + " LISTEN/NOTIFY instead of waiting for their poll (default true)"});
    OPTIONS.put("--watch-poll-interval", new String[] {"USER_SERVER_WATCH_POLL_INTERVAL",
        "how often a server looks in a shared database for activity other servers committed, e.g. 100ms, 1s"
            + " (default " + format(NOTIFIED_WATCH_POLL_INTERVAL) + " with --db-notify true, "
            + format(UserServer.Builder.DEFAULT_WATCH_POLL_INTERVAL) + " with false)"});
    OPTIONS.put("--http-port", new String[] {"USER_SERVER_HTTP_PORT",
        "port of the HTTP/JSON gateway and /metrics (default off; 0 picks a free port)"});
    OPTIONS.put("--http-max-connections", new String[] {"USER_SERVER_HTTP_MAX_CONNECTIONS",
        "connections open at once on the HTTP port (default " + HttpEdge.DEFAULT_MAX_CONNECTIONS + ")"});
    OPTIONS.put("--http-max-watches", new String[] {"USER_SERVER_HTTP_MAX_WATCHES",
        "activity watches open at once on the HTTP port (default " + HttpEdge.DEFAULT_MAX_WATCHES + ")"});
    OPTIONS.put("--http-cors-origins", new String[] {"USER_SERVER_HTTP_CORS_ORIGINS",
        "comma-separated web origins allowed to call the HTTP port, e.g. https://app.example.com (default none)"});
    OPTIONS.put("--metrics-port", new String[] {"USER_SERVER_METRICS_PORT",
        "port serving only /metrics, Prometheus text (default off; 0 picks a free port)"});
    OPTIONS.put("--metrics-host", new String[] {"USER_SERVER_METRICS_HOST",
        "address of the metrics port (default " + DEFAULT_METRICS_HOST + ")"});
    OPTIONS.put("--otlp-endpoint", new String[] {"USER_SERVER_OTLP_ENDPOINT",
        "OTLP/HTTP collector to send traces to, e.g. http://localhost:4318 (default off: no tracing)"});
  }

  ServerOptions {
    requireNonNull(store, "store");
    requireNonNull(limits, "limits");
    requireNonNull(activityRetention, "activityRetention");
    requireNonNull(watchPollInterval, "watchPollInterval");
  }

  /** Returns the usage text that {@code --help} prints. */
  static String usage() {
    StringBuilder usage = new StringBuilder("Usage: java -jar user-server.jar [options]\n"
        + "       java -jar user-server.jar --hash-token < file-holding-one-token\n"
        + "       java -jar user-server.jar ping [--target localhost:50051] [--tls-ca ca.pem]"
        + " [--token-file f] [--write]\n"
        + "       java -jar user-server.jar export --store <store> --file <path>|- [--db-user u] [--db-password p]\n"
        + "       java -jar user-server.jar import --store <store> --file <path>|- [--replace] [--db-user u]"
        + " [--db-password p]\n"
        + "\nOptions:\n");
    OPTIONS.forEach((option, spec) -> usage.append(String.format("  %-30s %-42s %s%n", option + " <v>",
        "(env " + spec[0] + ")", spec[1])));
    usage.append(String.format("  %-30s %-42s %s%n", "--hash-token", "",
        "read a token from standard input, print its token-file hash, exit"));
    usage.append(String.format("  %-30s %-42s %s%n", "--verbose", "",
        "if the server cannot start, print the stack trace after the reason"));
    usage.append(String.format("  %-30s %-42s %s%n", "--help", "", "print this help and exit"));
    return usage.toString();
  }

  /**
   * Parses the command line over the environment.
   *
   * @param args the command line, {@code --name value} or {@code --name=value}
   * @param env the environment variables
   * @return the options
   * @throws IllegalArgumentException with a one-line message for anything invalid
   */
  static ServerOptions parse(List<String> args, Map<String, String> env) {
    Map<String, String> values = new LinkedHashMap<>();
    OPTIONS.forEach((option, spec) -> {
      String fromEnv = env.get(spec[0]);
      if (fromEnv != null && !fromEnv.isEmpty()) {
        values.put(option, fromEnv);
      }
    });
    boolean help = false;
    boolean hashToken = false;
    boolean verbose = false;
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (arg.equals("--help") || arg.equals("-h")) {
        help = true;
        continue;
      }
      if (arg.equals("--hash-token")) {
        hashToken = true;
        continue;
      }
      if (arg.equals("--verbose")) {
        verbose = true;
        continue;
      }
      String name = arg;
      String value = null;
      int equals = arg.indexOf('=');
      if (arg.startsWith("--") && equals > 0) {
        name = arg.substring(0, equals);
        value = arg.substring(equals + 1);
      }
      if (!OPTIONS.containsKey(name)) {
        throw new IllegalArgumentException("unknown option: " + name + " (see --help)");
      }
      if (value == null) {
        if (i + 1 >= args.size()) {
          throw new IllegalArgumentException("option " + name + " needs a value");
        }
        value = args.get(++i);
      }
      values.put(name, value);
    }
    int port = parseInt(values, "--port", DEFAULT_PORT, 0, 65535);
    String store = values.containsKey("--store") ? values.get("--store") : defaultStore(Path.of(""));
    checkStore(store);
    Optional<Path> cert = readableFile(values, "--tls-cert");
    Optional<Path> key = readableFile(values, "--tls-key");
    if (cert.isPresent() != key.isPresent()) {
      throw new IllegalArgumentException("--tls-cert and --tls-key go together");
    }
    Optional<Path> clientCa = readableFile(values, "--tls-client-ca");
    if (clientCa.isPresent() && cert.isEmpty()) {
      throw new IllegalArgumentException("--tls-client-ca needs --tls-cert and --tls-key");
    }
    Optional<Path> tokens = readableFile(values, "--auth-tokens");
    Optional<JetStream> jetStream = jetStream(values, store);
    boolean dbNotify = parseBoolean(values, "--db-notify", true);
    return new ServerOptions(port, store, Optional.ofNullable(values.get("--db-user")),
        Optional.ofNullable(values.get("--db-password")), cert, key, clientCa, tokens, parseLimits(values),
        optionalPort(values, "--http-port"), optionalPort(values, "--metrics-port"), host(values, "--host"),
        host(values, "--metrics-host").orElse(DEFAULT_METRICS_HOST),
        parseInt(values, "--http-max-connections", HttpEdge.DEFAULT_MAX_CONNECTIONS, 1, Integer.MAX_VALUE),
        parseInt(values, "--http-max-watches", HttpEdge.DEFAULT_MAX_WATCHES, 1, Integer.MAX_VALUE),
        origins(values.get("--http-cors-origins")), parseRetention(values), jetStream,
        dbNotify, parseWatchPollInterval(values, dbNotify),
        otlpEndpoint(values.get("--otlp-endpoint")), help, hashToken, verbose);
  }

  /**
   * Returns whether the server runs for local use: without TLS and without tokens, where anyone who can
   * reach a port can read and change every user. Then, unless {@code --host} says otherwise, the ports
   * listen on the loopback interface only.
   */
  boolean localOnly() {
    return host.isEmpty() && tlsCert.isEmpty() && authTokens.isEmpty();
  }

  /**
   * Returns whether the HTTP port serves {@code /metrics}: it does without tokens; with tokens it would need
   * one of its own, so then only {@code --metrics-port} serves them.
   */
  boolean metricsOnHttpPort() {
    return httpPort.isPresent() && authTokens.isEmpty();
  }

  /**
   * Returns whether a port serves the metrics. Only then are they recorded: nothing else reads them, and
   * recording them is most of what a call on the memory store costs beyond the transport (issue 17).
   */
  boolean servesMetrics() {
    return metricsPort.isPresent() || metricsOnHttpPort();
  }

  /**
   * Returns where the gRPC or HTTP port listens: {@code --host} if given, else the loopback address for
   * local use ({@link #localOnly()}), else all interfaces.
   *
   * @param port the port
   */
  InetSocketAddress bindAddress(int port) {
    if (host.isPresent()) {
      return new InetSocketAddress(host.get(), port);
    }
    return localOnly() ? new InetSocketAddress(InetAddress.getLoopbackAddress(), port) : new InetSocketAddress(port);
  }

  private static List<String> origins(String value) {
    if (value == null || value.isBlank()) {
      return List.of();
    }
    List<String> origins = List.of(value.split(",", -1)).stream().map(String::strip).toList();
    for (String origin : origins) {
      if (!origin.matches("https?://[A-Za-z0-9.\\-\\[\\]:]+")) {
        throw new IllegalArgumentException("--http-cors-origins: " + origin
            + " (expected: origins such as https://app.example.com, separated by commas)");
      }
    }
    return origins;
  }

  /**
   * Parses {@code --activity} and its companions: empty for {@code database} (the default), else the
   * JetStream stream, which needs a database store for the outbox of changes.
   */
  private static Optional<JetStream> jetStream(Map<String, String> values, String store) {
    String value = values.getOrDefault("--activity", "database").strip();
    if (value.equalsIgnoreCase("database")) {
      for (String companion : List.of("--activity-stream", "--activity-replicas")) {
        if (values.containsKey(companion)) {
          throw new IllegalArgumentException(companion + " needs --activity nats://host:port");
        }
      }
      return Optional.empty();
    }
    List<String> servers = List.of(value.split(",", -1)).stream().map(String::strip).toList();
    for (String server : servers) {
      if (!isNatsUrl(server)) {
        throw new IllegalArgumentException("--activity: " + value + " (expected: database, or"
            + " nats://host:port with more servers after commas)");
      }
    }
    if (store.equals("memory")) {
      throw new IllegalArgumentException("--activity " + value + " needs a database store, for the outbox that"
          + " takes the events of changes to the stream: --store sqlite:<file>, h2:<path> or"
          + " jdbc:postgresql://host:port/db, not memory");
    }
    String stream = values.getOrDefault("--activity-stream", JetStream.DEFAULT_STREAM);
    if (!stream.matches("[A-Za-z0-9_-]{1,64}")) {
      throw new IllegalArgumentException("--activity-stream: " + stream
          + " (expected: 1 to 64 letters, digits, - and _)");
    }
    return Optional.of(new JetStream(servers, stream, parseInt(values, "--activity-replicas", 1, 1, 5)));
  }

  private static boolean isNatsUrl(String server) {
    URI uri;
    try {
      uri = new URI(server);
    } catch (URISyntaxException e) {
      return false;
    }
    return uri.getScheme() != null && uri.getScheme().matches("(?i)nats|tls") && uri.getHost() != null
        && uri.getPort() > 0 && uri.getRawUserInfo() == null
        && (uri.getRawPath() == null || uri.getRawPath().isEmpty()) && uri.getRawQuery() == null
        && uri.getRawFragment() == null;
  }

  private static Optional<URI> otlpEndpoint(String value) {
    if (value == null || value.isBlank()) {
      return Optional.empty();
    }
    String expected = " (expected: an http or https URL such as http://localhost:4318)";
    URI uri;
    try {
      uri = new URI(value.strip());
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("--otlp-endpoint: " + value + expected);
    }
    if (uri.getScheme() == null || !uri.getScheme().matches("(?i)https?") || uri.getHost() == null
        || uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getRawUserInfo() != null) {
      throw new IllegalArgumentException("--otlp-endpoint: " + value + expected);
    }
    return Optional.of(uri);
  }

  private static Optional<String> host(Map<String, String> values, String option) {
    String value = values.get(option);
    if (value == null) {
      return Optional.empty();
    }
    if (!value.matches("[A-Za-z0-9.:\\-\\[\\]%]{1,253}")) {
      throw new IllegalArgumentException(option + ": " + value + " (expected: an IP address or a host name)");
    }
    return Optional.of(value.startsWith("[") && value.endsWith("]") ? value.substring(1, value.length() - 1) : value);
  }

  private static Optional<Integer> optionalPort(Map<String, String> values, String option) {
    return values.containsKey(option) ? Optional.of(parseInt(values, option, 0, 0, 65535)) : Optional.empty();
  }

  private static Limits parseLimits(Map<String, String> values) {
    Limits defaults = Limits.defaults();
    return new Limits(
        parseInt(values, "--max-message-size", defaults.maxMessageBytes(), Limits.MIN_MESSAGE_BYTES,
            Integer.MAX_VALUE),
        parseInt(values, "--max-calls-per-connection", defaults.maxCallsPerConnection(), 1, Integer.MAX_VALUE),
        parseInt(values, "--max-watches", defaults.maxWatches(), 1, Integer.MAX_VALUE),
        parseInt(values, "--max-watches-per-user", defaults.maxWatchesPerUser(), 1, Integer.MAX_VALUE),
        parseDuration(values, "--default-deadline", defaults.defaultDeadline()),
        parseDuration(values, "--permit-keepalive-time", defaults.permitKeepAliveTime()));
  }

  private static int parseInt(Map<String, String> values, String option, int defaultValue, int min, int max) {
    String value = values.get(option);
    if (value == null) {
      return defaultValue;
    }
    String expected = max == Integer.MAX_VALUE ? ">= " + min : min + ".." + max;
    int parsed;
    try {
      parsed = Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(option + ": " + value + " (expected: a number " + expected + ")");
    }
    if (parsed < min || parsed > max) {
      throw new IllegalArgumentException(option + ": " + value + " (expected: " + expected + ")");
    }
    return parsed;
  }

  private static boolean parseBoolean(Map<String, String> values, String option, boolean defaultValue) {
    String value = values.get(option);
    if (value == null) {
      return defaultValue;
    }
    return switch (value.strip().toLowerCase(Locale.ROOT)) {
      case "true" -> true;
      case "false" -> false;
      default -> throw new IllegalArgumentException(option + ": " + value + " (expected: true or false)");
    };
  }

  /** Parses {@code 0} or a whole number with a unit: {@code ms}, {@code s}, {@code m} or {@code h}. */
  private static Duration parseDuration(Map<String, String> values, String option, Duration defaultValue) {
    String value = values.get(option);
    if (value == null) {
      return defaultValue;
    }
    Matcher matcher = DURATION.matcher(value.toLowerCase(Locale.ROOT));
    if (!matcher.matches() || (matcher.group(2) == null && !matcher.group(1).matches("0+"))) {
      throw new IllegalArgumentException(option + ": " + value + " (expected: 0 or a number with a unit"
          + " ms, s, m or h, such as 30s)");
    }
    long amount = Long.parseLong(matcher.group(1));
    String unit = matcher.group(2) == null ? "s" : matcher.group(2);
    Duration duration = switch (unit) {
      case "ms" -> Duration.ofMillis(amount);
      case "s" -> Duration.ofSeconds(amount);
      case "m" -> Duration.ofMinutes(amount);
      default -> Duration.ofHours(amount);
    };
    if (duration.compareTo(MAX_DURATION) > 0) {
      throw new IllegalArgumentException(option + ": " + value + " (expected: at most 24h)");
    }
    return duration;
  }

  /**
   * Parses {@code --watch-poll-interval}: a duration as {@link #parseDuration}, but not 0; by default
   * {@link #NOTIFIED_WATCH_POLL_INTERVAL} when servers wake each other, the library's default when only the poll
   * finds other servers' events.
   */
  private static Duration parseWatchPollInterval(Map<String, String> values, boolean dbNotify) {
    Duration interval = parseDuration(values, "--watch-poll-interval",
        dbNotify ? NOTIFIED_WATCH_POLL_INTERVAL : UserServer.Builder.DEFAULT_WATCH_POLL_INTERVAL);
    if (interval.isZero()) {
      throw new IllegalArgumentException("--watch-poll-interval: " + values.get("--watch-poll-interval")
          + " (expected: a number with a unit ms, s, m or h, such as 100ms)");
    }
    return interval;
  }

  /** Parses {@code --activity-retention}: a whole number of seconds, minutes, hours or days. */
  private static Duration parseRetention(Map<String, String> values) {
    String value = values.get("--activity-retention");
    if (value == null) {
      return JdbcSettings.DEFAULT_ACTIVITY_RETENTION;
    }
    Matcher matcher = RETENTION.matcher(value.toLowerCase(Locale.ROOT));
    if (!matcher.matches() || Long.parseLong(matcher.group(1)) == 0) {
      throw new IllegalArgumentException("--activity-retention: " + value
          + " (expected: a positive number with a unit s, m, h or d, such as 7d)");
    }
    long amount = Long.parseLong(matcher.group(1));
    return switch (matcher.group(2)) {
      case "s" -> Duration.ofSeconds(amount);
      case "m" -> Duration.ofMinutes(amount);
      case "h" -> Duration.ofHours(amount);
      default -> Duration.ofDays(amount);
    };
  }

  /** Formats a duration as {@link #parseDuration} reads it. */
  static String format(Duration duration) {
    if (duration.isZero()) {
      return "0";
    }
    if (duration.toMillis() % 1000 != 0) {
      return duration.toMillis() + "ms";
    }
    long seconds = duration.toSeconds();
    return seconds % 60 == 0 ? seconds / 60 + "m" : seconds + "s";
  }

  private static Optional<Path> readableFile(Map<String, String> values, String option) {
    Optional<Path> file = Optional.ofNullable(values.get(option)).map(Path::of);
    if (file.isPresent() && !Files.isReadable(file.get())) {
      throw new IllegalArgumentException(option + ": cannot read " + file.get());
    }
    return file;
  }

  private static void checkStore(String store) {
    if (store.equals("memory") || store.startsWith("jdbc:postgresql:")) {
      return;
    }
    if ((store.startsWith("h2:") && store.length() > 3) || (store.startsWith("sqlite:") && store.length() > 7)) {
      return;
    }
    throw new IllegalArgumentException("--store: " + store
        + " (expected: memory, sqlite:<file>, h2:<path> or jdbc:postgresql://host:port/db)");
  }

  /**
   * Returns the store of a server started without {@code --store} in {@code workingDirectory}:
   * {@link #EARLIER_DEFAULT_STORE} if its H2 file exists there and {@link #DEFAULT_STORE}'s SQLite file does
   * not, else {@link #DEFAULT_STORE}.
   */
  static String defaultStore(Path workingDirectory) {
    Path h2File = workingDirectory.resolve(EARLIER_DEFAULT_STORE.substring("h2:".length()) + ".mv.db");
    Path sqliteFile = workingDirectory.resolve(DEFAULT_STORE.substring("sqlite:".length()));
    return Files.exists(h2File) && !Files.exists(sqliteFile) ? EARLIER_DEFAULT_STORE : DEFAULT_STORE;
  }

  /** Returns the store option without any password that a URL may carry, for the start line. */
  String storeForLog() {
    return store.replaceAll("(?i)(password=)[^&;]*", "$1***");
  }
}
