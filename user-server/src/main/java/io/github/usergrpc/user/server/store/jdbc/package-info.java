/**
 * The {@link io.github.usergrpc.user.service.store.UserStore} in a relational database, PostgreSQL or embedded
 * SQLite or H2: {@link io.github.usergrpc.user.server.store.jdbc.JdbcUserStore}, opened with {@link
 * io.github.usergrpc.user.server.store.jdbc.JdbcSettings}. It brings its connection pool (HikariCP) and its
 * schema migrations (Flyway), which {@code user-server} declares optional: add them, and the JDBC driver, to
 * use this package.
 *
 * <p><b>Public API.</b> {@code JdbcUserStore} and {@code JdbcSettings} are kept backward compatible; the
 * package-private types are the implementation, one concept each: the SQL dialects, bootstrap, connection
 * pool, transaction template, user rows, the activity log with its per-user sequences, role counts, retention, H2 housekeeping,
 * the activity notifications between servers (LISTEN/NOTIFY),
 * the circuit breaker and SQL failure sorting.
 */
package io.github.usergrpc.user.server.store.jdbc;
