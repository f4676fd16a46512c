package io.github.usergrpc.user.server.store.jdbc;

import java.time.Clock;

/** Opens the store as a benchmark variant asks; see the package documentation. */
public final class StoreVariants {

  private StoreVariants() {}

  /**
   * Opens a store as {@link JdbcUserStore#open(JdbcSettings)} does; on SQLite without
   * {@link SqliteHousekeeping} if {@code sqliteHousekeeping} is false.
   */
  public static JdbcUserStore open(JdbcSettings settings, boolean sqliteHousekeeping) {
    return JdbcUserStore.open(settings, Clock.systemUTC(), sqliteHousekeeping);
  }
}
