package io.github.usergrpc.user.server.store.jdbc;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;

/**
 * The number of users per role, kept by writers in {@code user_counts} so that ListUsers' {@code total}
 * needs no count over the users.
 *
 * <p>Each role's count is spread over {@value #SHARDS} rows, {@code (role, shard)}; a user always counts in
 * the shard its id hashes to. With one row per role, every create of the most common role waited for the
 * previous one to commit (the row lock of the increment is held to the end of the transaction); with shards,
 * two writers wait for each other only when their users' ids hash alike. A read sums at most
 * {@value #SHARDS} rows per role. Only the sum per role is exact: the counts migrated from before the
 * shards (V4) are all in shard 0, so a shard's row may go below 0 when such a user leaves the role.
 */
final class RoleCounts {

  static final int SHARDS = 16;

  private RoleCounts() {}

  /**
   * Adds {@code delta} to the users with {@code role}, in the shard of {@code userId}. A new shard row is
   * inserted with {@code ON CONFLICT DO NOTHING}, which waits for a concurrent insert of the same row
   * (PostgreSQL, H2, SQLite) and then inserts nothing: the UPDATE then runs again on that row.
   */
  static void add(Transaction tx, String role, String userId, long delta) throws SQLException {
    int shard = shardOf(userId);
    while (true) {
      try (PreparedStatement update = tx.connection.prepareStatement(
          "UPDATE user_counts SET users = users + ? WHERE role = ? AND shard = ?")) {
        update.setLong(1, delta);
        update.setString(2, role);
        update.setInt(3, shard);
        if (update.executeUpdate() == 1) {
          return;
        }
      }
      try (PreparedStatement insert = tx.connection.prepareStatement(
          "INSERT INTO user_counts (role, shard, users) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")) {
        insert.setString(1, role);
        insert.setInt(2, shard);
        insert.setLong(3, delta);
        if (insert.executeUpdate() == 1) {
          return;
        }
      }
    }
  }

  static long count(Transaction tx, Optional<String> role) throws SQLException {
    try (PreparedStatement select = tx.connection.prepareStatement(role.isPresent()
        ? "SELECT COALESCE(SUM(users), 0) FROM user_counts WHERE role = ?"
        : "SELECT COALESCE(SUM(users), 0) FROM user_counts")) {
      if (role.isPresent()) {
        select.setString(1, role.get());
      }
      try (ResultSet rows = select.executeQuery()) {
        rows.next();
        return rows.getLong(1);
      }
    }
  }

  /** The shard of a user: {@link String#hashCode} is specified, so every server picks the same. */
  static int shardOf(String userId) {
    return Math.floorMod(userId.hashCode(), SHARDS);
  }
}
