/**
 * The HTTP port of the server, on Armeria: {@link io.github.usergrpc.user.server.http.HttpEdge} serves the
 * REST routes that {@code user.proto} declares with {@code google.api.http} options (transcoded by Armeria
 * onto the same service definition, and so the same interceptors, as the gRPC port), gRPC-Web, the watch as
 * server-sent events or NDJSON ({@link io.github.usergrpc.user.server.http.ActivityStreamService}), strict
 * proto3 JSON input and {@code google.rpc.Status} errors, the console page's static files
 * ({@link io.github.usergrpc.user.server.http.ConsolePage}), and {@code /metrics} and a span per request
 * ({@code HttpTracing}) when asked. {@code
 * UserServerMain} starts it for {@code --http-port}.
 *
 * <p><b>Internal.</b> Public only so that {@code UserServerMain} can reach it; not part of the API and may
 * change or go away in any release. Use the HTTP port through the command line (see the README), not these
 * classes.
 */
package io.github.usergrpc.user.server.http;
