package io.github.usergrpc.user.server.store.jdbc;

import io.github.usergrpc.user.service.store.EtagMismatchException;
import io.github.usergrpc.user.service.store.PageCursor;
import io.github.usergrpc.user.service.store.User;
import io.github.usergrpc.user.service.store.UserNotFoundException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The SQL of the {@code users} and {@code create_requests} tables. */
final class UserRows {

  /** The unique index on email_key: a violation of it is a duplicate email. */
  static final String EMAIL_KEY_INDEX = "users_email_key_uq";
  /** The column of {@link #EMAIL_KEY_INDEX}, by which SQLite names it. */
  static final String EMAIL_KEY_COLUMN = "users.email_key";

  static final String USER_COLUMNS =
      "id, email, name, role, created_at_ms, updated_at_ms, version";
  /** The columns of create_requests that hold the user as created, in the order of USER_COLUMNS. */
  static final String CREATED_USER_COLUMNS =
      "user_id, email, name, role, created_at_ms, updated_at_ms, version";
  /** The newest-first order of users; PageCursor and InMemoryUserStore order the same way. */
  private static final String NEWEST_FIRST = " ORDER BY created_at_ms DESC, id DESC";
  /**
   * The same order among users of one role. Naming the role first changes nothing in the result, but
   * lets H2 read users_role_newest_first_ix in order instead of sorting every user of the role.
   */
  private static final String ROLE_NEWEST_FIRST = " ORDER BY role, created_at_ms DESC, id DESC";

  private UserRows() {}

  static Optional<User> find(Transaction tx, String id) throws SQLException {
    try (PreparedStatement select = tx.connection.prepareStatement(
        "SELECT " + USER_COLUMNS + " FROM users WHERE id = ?")) {
      select.setString(1, id);
      return readUsers(select).stream().findFirst();
    }
  }

  static boolean exists(Transaction tx, String id) throws SQLException {
    try (PreparedStatement select = tx.connection.prepareStatement("SELECT 1 FROM users WHERE id = ?")) {
      select.setString(1, id);
      try (ResultSet rows = select.executeQuery()) {
        return rows.next();
      }
    }
  }

  /** Locks the user's row and checks the etag. */
  static User lockForChange(Transaction tx, String id, Optional<String> expectedEtag) throws SQLException {
    User current;
    try (PreparedStatement select = tx.connection.prepareStatement(
        "SELECT " + USER_COLUMNS + " FROM users WHERE id = ?" + tx.dialect.forUpdate())) {
      select.setString(1, id);
      current = readUsers(select).stream().findFirst().orElseThrow(() -> new UserNotFoundException(id));
    }
    checkEtag(current, expectedEtag);
    return current;
  }

  /** Throws {@link EtagMismatchException} unless {@code expectedEtag} is empty or the user's etag. */
  static void checkEtag(User current, Optional<String> expectedEtag) {
    if (expectedEtag.isPresent() && !expectedEtag.get().equals(current.etag())) {
      throw new EtagMismatchException(current.id());
    }
  }

  static void insert(Transaction tx, User user) throws SQLException {
    try (PreparedStatement insert = tx.connection.prepareStatement("INSERT INTO users (" + USER_COLUMNS
        + ", email_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
      setUser(insert, 1, user);
      insert.setString(8, user.emailKey());
      insert.executeUpdate();
    }
  }

  /** Writes {@code updated} over {@code current}; see {@link RowChangedException} for the version guard. */
  static void update(Transaction tx, User current, User updated) throws SQLException {
    try (PreparedStatement update = tx.connection.prepareStatement("UPDATE users SET email = ?,"
        + " email_key = ?, name = ?, role = ?, updated_at_ms = ?, version = ? WHERE id = ? AND version = ?")) {
      update.setString(1, updated.email());
      update.setString(2, updated.emailKey());
      update.setString(3, updated.name());
      update.setString(4, updated.role());
      update.setLong(5, updated.updatedAtMillis());
      update.setLong(6, updated.version());
      update.setString(7, current.id());
      update.setLong(8, current.version());
      RowChangedException.expectOneRow(update.executeUpdate());
    }
  }

  static void delete(Transaction tx, User current) throws SQLException {
    try (PreparedStatement delete = tx.connection.prepareStatement(
        "DELETE FROM users WHERE id = ? AND version = ?")) {
      delete.setString(1, current.id());
      delete.setLong(2, current.version());
      RowChangedException.expectOneRow(delete.executeUpdate());
    }
  }

  static List<User> listByOffset(Transaction tx, Optional<String> role, long offset, int limit)
      throws SQLException {
    try (PreparedStatement select = tx.connection.prepareStatement("SELECT " + USER_COLUMNS
        + " FROM users" + (role.isPresent() ? " WHERE role = ?" + ROLE_NEWEST_FIRST : NEWEST_FIRST)
        + " LIMIT ? OFFSET ?")) {
      int index = 1;
      if (role.isPresent()) {
        select.setString(index++, role.get());
      }
      select.setInt(index++, limit);
      select.setLong(index, offset);
      return readUsers(select);
    }
  }

  /**
   * The cursor condition is {@code created_at_ms < ? OR (created_at_ms = ? AND id < ?)}, written with
   * a redundant {@code created_at_ms <= ?} in front: that is a range both databases start an index scan
   * at, so a deep page reads the index from the cursor on. Without it, PostgreSQL and H2 both walk the
   * index from the newest user and filter out every user before the cursor (250,000 rows for a page
   * 250,000 deep, against 3 with it).
   */
  static List<User> listAfter(Transaction tx, Optional<String> role, Optional<PageCursor> after, int limit)
      throws SQLException {
    List<String> conditions = new ArrayList<>(2);
    role.ifPresent(r -> conditions.add("role = ?"));
    after.ifPresent(c -> conditions.add("created_at_ms <= ? AND (created_at_ms < ? OR id < ?)"));
    String where = conditions.isEmpty() ? "" : " WHERE " + String.join(" AND ", conditions);
    String order = role.isPresent() ? ROLE_NEWEST_FIRST : NEWEST_FIRST;
    try (PreparedStatement select = tx.connection.prepareStatement(
        "SELECT " + USER_COLUMNS + " FROM users" + where + order + " LIMIT ?")) {
      int index = 1;
      if (role.isPresent()) {
        select.setString(index++, role.get());
      }
      if (after.isPresent()) {
        select.setLong(index++, after.get().createdAtMillis());
        select.setLong(index++, after.get().createdAtMillis());
        select.setString(index++, after.get().id());
      }
      select.setInt(index, limit);
      return readUsers(select);
    }
  }

  static void insertCreateRequest(Transaction tx, String requestId, User user) throws SQLException {
    try (PreparedStatement insert = tx.connection.prepareStatement("INSERT INTO create_requests"
        + " (request_id, " + CREATED_USER_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
      insert.setString(1, requestId);
      setUser(insert, 2, user);
      insert.executeUpdate();
    }
  }

  static Optional<User> findCreateRequest(Transaction tx, String requestId) throws SQLException {
    try (PreparedStatement select = tx.connection.prepareStatement("SELECT "
        + CREATED_USER_COLUMNS + " FROM create_requests WHERE request_id = ?")) {
      select.setString(1, requestId);
      return readUsers(select).stream().findFirst();
    }
  }

  /** Sets the seven {@link #USER_COLUMNS} from {@code first} on. */
  static void setUser(PreparedStatement statement, int first, User user) throws SQLException {
    statement.setString(first, user.id());
    statement.setString(first + 1, user.email());
    statement.setString(first + 2, user.name());
    statement.setString(first + 3, user.role());
    statement.setLong(first + 4, user.createdAtMillis());
    statement.setLong(first + 5, user.updatedAtMillis());
    statement.setLong(first + 6, user.version());
  }

  /** Reads rows of the seven {@link #USER_COLUMNS}, in that order. */
  private static List<User> readUsers(PreparedStatement select) throws SQLException {
    List<User> users = new ArrayList<>();
    try (ResultSet rows = select.executeQuery()) {
      while (rows.next()) {
        users.add(new User(rows.getString(1), rows.getString(2), rows.getString(3), rows.getString(4),
            rows.getLong(5), rows.getLong(6), rows.getLong(7)));
      }
    }
    return users;
  }
}
