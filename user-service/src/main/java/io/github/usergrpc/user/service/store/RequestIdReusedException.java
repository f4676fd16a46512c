package io.github.usergrpc.user.service.store;

/** A request id (AIP-155) that was already used for a request with other values. */
public final class RequestIdReusedException extends StoreException {

  private static final long serialVersionUID = 1L;

  private final String requestId;

  /**
   * Creates the exception.
   *
   * @param requestId the reused request id
   */
  public RequestIdReusedException(String requestId) {
    super("request_id " + requestId + " was already used for a request with other values");
    this.requestId = requestId;
  }

  /** Returns the reused request id. */
  public String requestId() {
    return requestId;
  }
}
