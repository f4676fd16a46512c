package io.github.usergrpc.user.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.util.ArrayList;
import java.util.List;

/** Assertion helpers for failed calls and the {@code google.rpc} details of their status. */
final class StatusDetails {

  private StatusDetails() {}

  /** Runs {@code call} and returns the status it failed with; fails the test when it did not fail. */
  static StatusRuntimeException catchStatus(Runnable call) {
    try {
      call.run();
    } catch (StatusRuntimeException e) {
      return e;
    }
    throw new AssertionError("expected the call to fail with a status");
  }

  /**
   * Returns the one detail of {@code type} in the {@code google.rpc.Status} of a failure; fails the test when
   * there is no such status, or not exactly one such detail.
   */
  static <T extends Message> T detail(StatusRuntimeException e, Class<T> type) {
    com.google.rpc.Status status = StatusProto.fromThrowable(e);
    assertThat(status).as("google.rpc.Status in the trailers of %s", e.getStatus()).isNotNull();
    assertThat(status.getCode()).isEqualTo(e.getStatus().getCode().value());
    List<T> found = new ArrayList<>();
    for (com.google.protobuf.Any any : status.getDetailsList()) {
      if (any.is(type)) {
        try {
          found.add(any.unpack(type));
        } catch (InvalidProtocolBufferException ex) {
          throw new AssertionError(ex);
        }
      }
    }
    assertThat(found).as("%s details", type.getSimpleName()).hasSize(1);
    return found.get(0);
  }
}
