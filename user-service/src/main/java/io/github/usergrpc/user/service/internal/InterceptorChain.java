package io.github.usergrpc.user.service.internal;

import io.github.usergrpc.user.api.RequestValidator;
import io.grpc.BindableService;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The order of the interceptors around the UserService handlers, defined once: what a call meets from the
 * outside in.
 *
 * <ol>
 *   <li>the call log (outermost, so that calls refused by authentication or limits are logged too);
 *   <li>the header interceptors, in the order given (the server's default deadline, then authentication),
 *       on the headers before any parsing;
 *   <li>request parsing (bytes to message, INVALID_ARGUMENT on garbage);
 *   <li>error details (an {@code ErrorInfo} on every error status from here in);
 *   <li>the added interceptors, in the order added (they see the parsed request);
 *   <li>validation, then the watch headers, then the handlers.
 * </ol>
 */
public final class InterceptorChain {

  private InterceptorChain() {}

  /**
   * Returns the service with its interceptors in the order above.
   *
   * @param handlers the UserService handlers
   * @param validator the request validator
   * @param callLog the call log interceptor
   * @param headerInterceptors interceptors on the headers, run in this order
   * @param added interceptors on the parsed request, run in this order
   * @return the intercepted service
   */
  public static ServerServiceDefinition intercept(BindableService handlers, RequestValidator validator,
      ServerInterceptor callLog, List<ServerInterceptor> headerInterceptors, List<ServerInterceptor> added) {
    // ServerInterceptors.intercept runs the last interceptor of a list first.
    List<ServerInterceptor> inner = new ArrayList<>();
    inner.add(new WatchHeaders());
    inner.add(new ValidationInterceptor(validator));
    inner.addAll(reversed(added));
    inner.add(new ErrorDetailsInterceptor());
    ServerServiceDefinition parsed = RequestParsing.parseInCall(ServerInterceptors.intercept(handlers, inner));
    List<ServerInterceptor> outer = reversed(headerInterceptors);
    outer.add(callLog);
    return ServerInterceptors.intercept(parsed, outer);
  }

  private static List<ServerInterceptor> reversed(List<ServerInterceptor> inOrder) {
    List<ServerInterceptor> copy = new ArrayList<>(inOrder);
    Collections.reverse(copy);
    return copy;
  }
}
