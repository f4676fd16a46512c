/**
 * The wire vocabulary of the UserService that a {@code .proto} file cannot declare, written once for the
 * client, the server and the testkit: the error domain and the status code of each {@link
 * io.github.usergrpc.user.v1.ErrorReason} ({@link io.github.usergrpc.user.api.ErrorReasons}), the header names
 * ({@link io.github.usergrpc.user.api.Headers}), and the request validation with its {@code
 * google.rpc.BadRequest} ({@link io.github.usergrpc.user.api.RequestValidator}).
 *
 * <p><b>Public API.</b> The only hand-written code of {@code user-api}; everything in {@code
 * io.github.usergrpc.user.v1} is generated from user.proto and error_reason.proto.
 */
package io.github.usergrpc.user.api;
