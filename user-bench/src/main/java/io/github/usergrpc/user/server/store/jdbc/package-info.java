/**
 * Benchmark-only access to user-server's store package: {@link
 * io.github.usergrpc.user.server.store.jdbc.StoreVariants} opens a SQLite store without its housekeeping, as
 * earlier versions ran it, for {@code scripts/bench/embedded-store.sh} to compare side by side. Nothing in
 * user-server can switch the housekeeping off.
 *
 * <p><b>Internal.</b> The {@code user-bench} module is never published; nothing here is API.
 */
package io.github.usergrpc.user.server.store.jdbc;
