/**
 * Benchmark-only classes in user-server's package, so that they can build its package-private layers (the
 * default deadline) exactly as the server does: {@link io.github.usergrpc.user.server.LayeredServer} (the
 * constant-answer server with a chosen set of a call's layers) and {@link io.github.usergrpc.user.server.LayerCost}
 * (their CPU and allocation per call in-process), for {@code scripts/bench/interceptors.sh}. Nothing in
 * user-server can switch a layer off; these classes assemble their own chains.
 *
 * <p><b>Internal.</b> The {@code user-bench} module is never published; nothing here is API.
 */
package io.github.usergrpc.user.server;
