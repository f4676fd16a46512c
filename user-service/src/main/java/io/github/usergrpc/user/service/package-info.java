/**
 * The UserService without a deployment: what {@code user-server} serves on its ports and {@code user-testkit}
 * fakes in-process. {@link io.github.usergrpc.user.service.CallLoggingInterceptor} writes one log line per call
 * and echoes the request id. The store the service runs on is in the {@code store} subpackage; the handlers,
 * interceptors and watch machinery in {@code internal}.
 *
 * <p><b>Public API.</b> The public types here are kept backward compatible.
 */
package io.github.usergrpc.user.service;
