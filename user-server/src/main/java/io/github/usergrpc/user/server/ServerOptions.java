package io.github.usergrpc.user.server;

import static java.util.Objects.requireNonNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The command line of the server: each option also settable by an environment variable, the command line
 * winning. Immutable; {@link #parse} rejects anything it does not understand with a one-line message.
 *
 * @param port the port; 0 picks a free one
 * @param store {@code memory}, {@code h2:<path>} or a {@code jdbc:postgresql://} URL
 * @param dbUser the database user, if any
 * @param dbPassword the database password, if any
 * @param tlsCert the certificate chain (PEM) to serve TLS with, if any
 * @param tlsKey the private key (PEM, PKCS#8) of {@code tlsCert}, if any
 * @param help whether to print the usage and exit
 */
record ServerOptions(int port, String store, Optional<String> dbUser, Optional<String> dbPassword,
    Optional<Path> tlsCert, Optional<Path> tlsKey, boolean help) {

  static final int DEFAULT_PORT = 50051;
  static final String DEFAULT_STORE = "h2:./data/users";

  /** Each option with its environment variable and its help text, in the order --help lists them. */
  private static final Map<String, String[]> OPTIONS = new LinkedHashMap<>();

  static {
    OPTIONS.put("--port", new String[] {"USER_SERVER_PORT",
        "port to listen on (default " + DEFAULT_PORT + "; 0 picks a free port)"});
    OPTIONS.put("--store", new String[] {"USER_SERVER_STORE",
        "memory | h2:<path> | jdbc:postgresql://host:port/db (default " + DEFAULT_STORE + ")"});
    OPTIONS.put("--db-user", new String[] {"USER_SERVER_DB_USER", "database user"});
    OPTIONS.put("--db-password", new String[] {"USER_SERVER_DB_PASSWORD", "database password"});
    OPTIONS.put("--tls-cert", new String[] {"USER_SERVER_TLS_CERT", "PEM certificate chain; enables TLS"});
    OPTIONS.put("--tls-key", new String[] {"USER_SERVER_TLS_KEY", "PEM private key (PKCS#8) of --tls-cert"});
  }

  ServerOptions {
    requireNonNull(store, "store");
  }

  /** Returns the usage text that {@code --help} prints. */
  static String usage() {
    StringBuilder usage = new StringBuilder("Usage: java -jar user-server.jar [options]\n\nOptions:\n");
    OPTIONS.forEach((option, spec) -> usage.append(String.format("  %-15s %-24s %s%n", option + " <v>",
        "(env " + spec[0] + ")", spec[1])));
    usage.append(String.format("  %-15s %-24s %s%n", "--help", "", "print this help and exit"));
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
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (arg.equals("--help") || arg.equals("-h")) {
        help = true;
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
    int port = parsePort(values.getOrDefault("--port", Integer.toString(DEFAULT_PORT)));
    String store = values.getOrDefault("--store", DEFAULT_STORE);
    checkStore(store);
    Optional<Path> cert = Optional.ofNullable(values.get("--tls-cert")).map(Path::of);
    Optional<Path> key = Optional.ofNullable(values.get("--tls-key")).map(Path::of);
    if (cert.isPresent() != key.isPresent()) {
      throw new IllegalArgumentException("--tls-cert and --tls-key go together");
    }
    for (Optional<Path> file : List.of(cert, key)) {
      if (file.isPresent() && !Files.isReadable(file.get())) {
        throw new IllegalArgumentException("cannot read " + file.get());
      }
    }
    return new ServerOptions(port, store, Optional.ofNullable(values.get("--db-user")),
        Optional.ofNullable(values.get("--db-password")), cert, key, help);
  }

  private static int parsePort(String value) {
    int port;
    try {
      port = Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--port: " + value + " (expected: a number 0..65535)");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("--port: " + value + " (expected: 0..65535)");
    }
    return port;
  }

  private static void checkStore(String store) {
    if (store.equals("memory") || store.startsWith("jdbc:postgresql:")) {
      return;
    }
    if (store.startsWith("h2:") && store.length() > 3) {
      return;
    }
    throw new IllegalArgumentException(
        "--store: " + store + " (expected: memory, h2:<path> or jdbc:postgresql://host:port/db)");
  }

  /** Returns the store option without any password that a URL may carry, for the start line. */
  String storeForLog() {
    return store.replaceAll("(?i)(password=)[^&;]*", "$1***");
  }
}
