package io.github.usergrpc.user.server;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;

/**
 * The file system side of an embedded store, {@code h2:<path>} or {@code sqlite:<file>}: checks, before the
 * database opens it, that the database file can be created and written, so that a bad path fails with its
 * reason instead of the driver's stack traces; and finds the process that holds an H2 file's lock.
 */
final class H2DataPath {

  /** The suffix H2 gives the database file of {@code h2:<path>}. */
  static final String DATABASE_SUFFIX = ".mv.db";

  private H2DataPath() {}

  /**
   * Checks that the database of {@code h2:<path>} can live there: its directory exists or can be created,
   * and files can be created in it.
   *
   * @param path the path after {@code h2:}, as the user gave it
   * @throws StartupFailure naming the path and why it cannot be used
   */
  static void check(String path) throws StartupFailure {
    check("h2:", path, DATABASE_SUFFIX);
  }

  /**
   * Checks that the database file of {@code sqlite:<file>} can live there, as {@link #check} does for H2.
   * SQLite, unlike H2, does not create the file's directory: this does.
   *
   * @param path the path after {@code sqlite:}, as the user gave it
   * @throws StartupFailure naming the path and why it cannot be used
   */
  static void checkSqlite(String path) throws StartupFailure {
    check("sqlite:", path, "");
  }

  private static void check(String scheme, String path, String databaseSuffix) throws StartupFailure {
    Path file = resolve(path);
    Path dir = file.getParent();
    Path existing = dir;
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    if (existing != null && !Files.isDirectory(existing)) {
      throw failure(scheme, path, existing + " is not a directory", "point --store at a path inside a directory",
          null);
    }
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw failure(scheme, path, "cannot create the directory " + dir + reason(e),
          "create it, or choose another --store path", e);
    }
    try {
      Files.delete(Files.createTempFile(dir, ".user-server-", ".probe"));
    } catch (IOException e) {
      throw failure(scheme, path, "cannot create files in " + dir + reason(e),
          "give the server's user write access to it, or choose another --store path", e);
    }
    Path database = Path.of(file + databaseSuffix);
    if (Files.isDirectory(database)) {
      throw failure(scheme, path, database + " is a directory", "point --store at a file", null);
    }
    if (Files.exists(database) && !Files.isWritable(database)) {
      throw failure(scheme, path, database + " is not writable (permission denied)",
          "give the server's user write access to it", null);
    }
  }

  /**
   * Returns the process that holds the lock of the database file of {@code h2:<path>}, where the system
   * tells it (Linux: {@code /proc/locks}, in which H2's {@code FileChannel} lock is a POSIX lock).
   *
   * @param path the path after {@code h2:}
   * @return its pid, or empty if it cannot be learned
   */
  static OptionalLong lockHolder(String path) {
    Path database = Path.of(resolve(path) + DATABASE_SUFFIX);
    Path locks = Path.of("/proc/locks");
    try {
      long inode = ((Number) Files.getAttribute(database, "unix:ino")).longValue();
      long device = ((Number) Files.getAttribute(database, "unix:dev")).longValue();
      // /proc/locks names the device as major:minor in hex; st_dev packs them as glibc's makedev() does.
      String id = String.format(Locale.ROOT, "%02x:%02x:%d",
          ((device >>> 8) & 0xfff) | ((device >>> 32) & ~0xfffL),
          (device & 0xff) | ((device >>> 12) & ~0xffL), inode);
      List<String> lines = Files.readAllLines(locks);
      for (String line : lines) {
        // "1: POSIX  ADVISORY  WRITE 20877 fe:00:2146457 0 EOF"; waiting requests have "->" after the number.
        // Trimmed: no empty field at the end for a limit of -1 to keep.
        String[] fields = line.trim().split("\\s+", -1);
        if (fields.length >= 6 && !fields[1].equals("->") && fields[5].equals(id)) {
          long pid = Long.parseLong(fields[4]);
          if (pid != ProcessHandle.current().pid()) {
            return OptionalLong.of(pid);
          }
        }
      }
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      // Not Linux, or the file is gone: the pid is a courtesy.
    }
    return OptionalLong.empty();
  }

  /** Returns the file H2 means by {@code path}, in which {@code ~} is the home directory. */
  static Path resolve(String path) {
    String expanded = path.startsWith("~") ? System.getProperty("user.home") + path.substring(1) : path;
    return Path.of(expanded).toAbsolutePath().normalize();
  }

  private static String reason(IOException e) {
    if (e instanceof AccessDeniedException) {
      return " (permission denied)";
    }
    if (e instanceof NoSuchFileException) {
      // Such as /proc, which exists but takes no new files.
      return " (the file system does not allow it)";
    }
    if (e instanceof FileSystemException fs && fs.getReason() != null) {
      return " (" + fs.getReason().toLowerCase(Locale.ROOT) + ")";
    }
    return " (" + e.getClass().getSimpleName() + ")";
  }

  private static StartupFailure failure(String scheme, String path, String problem, String remedy,
      IOException cause) {
    return new StartupFailure("--store " + scheme + path + ": " + problem + "; " + remedy, cause);
  }
}
