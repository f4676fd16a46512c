package io.github.usergrpc.user.server;

import io.github.usergrpc.user.service.store.ImportRefusedException;
import io.github.usergrpc.user.service.store.StoreExport;
import io.github.usergrpc.user.service.store.StoreImport;
import io.github.usergrpc.user.service.store.StoreSummary;
import io.github.usergrpc.user.service.store.StoreUnavailableException;
import io.github.usergrpc.user.service.store.UserStore;
import io.github.usergrpc.user.server.transfer.ExportFileReader;
import io.github.usergrpc.user.server.transfer.ExportFileWriter;
import io.github.usergrpc.user.server.transfer.InvalidExportFileException;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code user-server export} and {@code user-server import}: move a whole directory between stores (H2 to
 * PostgreSQL and back) through an export file (see {@code store_export.proto}). Export reads one consistent
 * snapshot; import is all or nothing, into an empty store unless {@code --replace}. Both print one line to
 * standard error when done, or one line saying why not; exit 0 on success, 1 on failure, 2 on bad usage.
 *
 * <p>The store is opened as the server opens it (the same {@code --store}, {@code --db-user} and
 * {@code --db-password}, with their environment variables for the credentials), but keeping every event:
 * moving a store must not prune it.
 */
final class TransferCommand {

  static final String EXPORT_USAGE = "usage: java -jar user-server.jar export --store <store> --file <path>|-"
      + " [--db-user u] [--db-password p] [--verbose]";
  static final String IMPORT_USAGE = "usage: java -jar user-server.jar import --store <store> --file <path>|-"
      + " [--replace] [--db-user u] [--db-password p] [--verbose]";
  /** The retention the commands open a JDBC store with: long enough that nothing is pruned while they run. */
  private static final String KEEP_EVERYTHING = "36500d";
  private static final List<String> CREDENTIAL_VARIABLES = List.of("USER_SERVER_DB_USER", "USER_SERVER_DB_PASSWORD");

  private final boolean export;
  private final ServerOptions store;
  private final String file;
  private final boolean replace;
  private final PrintStream err;

  private TransferCommand(boolean export, ServerOptions store, String file, boolean replace, PrintStream err) {
    this.export = export;
    this.store = store;
    this.file = file;
    this.replace = replace;
    this.err = err;
  }

  /**
   * Parses the arguments after {@code export} or {@code import}.
   *
   * @param command {@code export} or {@code import}
   * @throws IllegalArgumentException for bad usage, with a message for the user
   */
  static TransferCommand parse(String command, List<String> args, Map<String, String> env, PrintStream err) {
    boolean export = command.equals("export");
    List<String> storeArgs = new ArrayList<>(List.of("--activity-retention", KEEP_EVERYTHING));
    String store = null;
    String file = null;
    boolean replace = false;
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (arg.equals("--replace") && !export) {
        replace = true;
        continue;
      }
      if (arg.equals("--verbose")) {
        storeArgs.add(arg);
        continue;
      }
      if (!List.of("--store", "--file", "--db-user", "--db-password").contains(arg)) {
        throw new IllegalArgumentException("unknown option " + arg);
      }
      if (i + 1 >= args.size()) {
        throw new IllegalArgumentException(arg + " needs a value");
      }
      String value = args.get(++i);
      switch (arg) {
        case "--store" -> store = value;
        case "--file" -> file = value;
        default -> {
          storeArgs.add(arg);
          storeArgs.add(value);
        }
      }
    }
    if (store == null || file == null) {
      throw new IllegalArgumentException("--store and --file are required");
    }
    if (store.startsWith("sqlite:")) {
      // Not written for SQLite yet (its snapshot and write lock work otherwise); JdbcExport refuses it too.
      throw new IllegalArgumentException("--store sqlite: cannot be exported or imported yet; export and import"
          + " move h2: and jdbc:postgresql: stores");
    }
    if (store.equals("memory")) {
      throw new IllegalArgumentException("--store memory holds nothing outside a running server; name an h2: or"
          + " jdbc:postgresql: store");
    }
    storeArgs.add("--store");
    storeArgs.add(store);
    Map<String, String> credentials = new java.util.HashMap<>();
    CREDENTIAL_VARIABLES.forEach(name -> Optional.ofNullable(env.get(name)).ifPresent(v -> credentials.put(name, v)));
    return new TransferCommand(export, ServerOptions.parse(storeArgs, credentials), file, replace, err);
  }

  /** Runs the command; returns the exit code. */
  int run() {
    String name = "user-server " + (export ? "export" : "import");
    try {
      StoreSummary moved = export ? export() : importFile();
      err.println(name + ": " + (export ? "exported " : "imported ") + moved
          + (export ? " from " : " into ") + store.storeForLog());
      return 0;
    } catch (StartupFailure | InvalidExportFileException | ImportRefusedException
        | UnsupportedOperationException e) {
      fail(name, e.getMessage(), e);
    } catch (StoreUnavailableException e) {
      fail(name, "the store " + store.storeForLog() + " cannot be reached; check that the database is up", e);
    } catch (IOException e) {
      fail(name, "cannot " + (export ? "write " : "read ") + file + ": " + e, e);
    } catch (RuntimeException e) {
      fail(name, "failed: " + e + "; run with --verbose to see why", e);
    }
    return 1;
  }

  private void fail(String name, String message, Exception e) {
    err.println(name + ": " + message);
    if (store.verbose()) {
      e.printStackTrace(err);
    }
  }

  private StoreSummary export() throws StartupFailure, IOException {
    Path target = file.equals("-") ? null : Path.of(file);
    if (target != null && Files.exists(target)) {
      throw new IOException("it already exists; remove it or choose another --file");
    }
    if (store.store().startsWith("h2:")) {
      Path database = Path.of(UserServerMain.h2FileUrl(store.store().substring(3)).substring("jdbc:h2:file:".length())
          + H2DataPath.DATABASE_SUFFIX);
      if (!Files.exists(database)) {
        throw new StartupFailure("there is no H2 database at " + database + "; check --store", null);
      }
    }
    try (UserStore opened = UserServerMain.openStore(store)) {
      if (!(opened instanceof StoreExport from)) {
        throw new UnsupportedOperationException("the store " + store.storeForLog() + " cannot be exported");
      }
      if (target == null) {
        OutputStream out = new BufferedOutputStream(System.out, 1 << 16);
        StoreSummary summary = ExportFileWriter.export(from, out);
        out.flush();
        return summary;
      }
      // Written beside the target and renamed when complete: a failed export leaves no file that looks whole.
      Path partial = target.resolveSibling(target.getFileName() + ".partial");
      try {
        StoreSummary summary;
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(partial), 1 << 16)) {
          summary = ExportFileWriter.export(from, out);
        }
        Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
        return summary;
      } finally {
        Files.deleteIfExists(partial);
      }
    }
  }

  private StoreSummary importFile() throws StartupFailure, IOException, InvalidExportFileException {
    InputStream in = file.equals("-") ? System.in : Files.newInputStream(Path.of(file));
    try (InputStream buffered = new BufferedInputStream(in, 1 << 16)) {
      if (store.store().startsWith("h2:")) {
        H2DataPath.check(store.store().substring(3));
      }
      try (UserStore opened = UserServerMain.openStore(store)) {
        if (!(opened instanceof StoreImport into)) {
          throw new UnsupportedOperationException("the store " + store.storeForLog() + " cannot be imported into");
        }
        return ExportFileReader.importFile(buffered, into, replace);
      }
    }
  }
}
