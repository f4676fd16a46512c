/**
 * The HTTP/JSON gateway of the server: the REST routes that {@code user.proto} declares with
 * {@code google.api.http} options, transcoded into gRPC calls on the same service, and {@code /metrics}.
 * {@code UserServerMain} starts it for {@code --http-port}.
 *
 * <p><b>Internal.</b> Public only so that {@code UserServerMain} can reach it; not part of the API and may
 * change or go away in any release. Use the gateway through the command line (see the README), not these
 * classes.
 */
package io.github.usergrpc.user.server.http;
