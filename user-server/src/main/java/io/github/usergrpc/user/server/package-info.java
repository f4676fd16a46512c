/**
 * The reference UserService server: {@link io.github.usergrpc.user.server.UserServer} assembles the service
 * (handlers, validation, error mapping, authentication, default deadlines, the watch feed) on a transport the
 * caller chooses, and {@link io.github.usergrpc.user.server.UserServerMain} is its command line. The stable
 * error reasons are {@link io.github.usergrpc.user.server.ErrorReason}; bearer tokens are {@link
 * io.github.usergrpc.user.server.AccessTokens} and the caller they stand for a {@link
 * io.github.usergrpc.user.server.Principal}.
 *
 * <p><b>Public API.</b> The public types here are kept backward compatible: embedding the server
 * ({@code UserServer.newBuilder(transport)}), the command line and its options, the error reasons and the token
 * file. The package-private types (the service, its interceptors, page tokens, the watch machinery) are the
 * implementation and may change in any release.
 */
package io.github.usergrpc.user.server;
