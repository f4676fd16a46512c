package io.github.usergrpc.user.service.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usergrpc.user.v1.GetUserRequest;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

class RequestParsingTest {

  private static final byte[] REQUEST = GetUserRequest.newBuilder().setId("x".repeat(5000)).build().toByteArray();

  @Test
  void requestBytes_areCopiedWhole_withTheirLength_whenTheStreamKnowsIt() throws Exception {
    InputStream copy = rawMarshaller().parse(new ByteArrayInputStream(REQUEST));

    assertThat(copy).isInstanceOf(KnownLength.class);
    assertThat(copy.available()).isEqualTo(REQUEST.length);
    assertThat(copy.readAllBytes()).isEqualTo(REQUEST);
  }

  @Test
  void requestBytes_areCopiedWhole_whenTheStreamUnderstatesWhatIsLeft() throws Exception {
    for (int available : new int[] {0, 1, REQUEST.length - 1}) {
      InputStream shortCount = new FilterInputStream(new ByteArrayInputStream(REQUEST)) {
        @Override
        public int available() {
          return available;
        }
      };

      InputStream copy = rawMarshaller().parse(shortCount);

      assertThat(copy.available()).isEqualTo(REQUEST.length);
      assertThat(copy.readAllBytes()).isEqualTo(REQUEST);
    }
  }

  @Test
  void requestBytes_parseAsTheRequest_throughTheMethodsOwnMarshaller() throws Exception {
    InputStream copy = rawMarshaller().parse(new ByteArrayInputStream(REQUEST));

    assertThat(UserServiceGrpc.getGetUserMethod().parseRequest(copy).getId()).hasSize(5000);
  }

  @SuppressWarnings("unchecked")
  private static MethodDescriptor.Marshaller<InputStream> rawMarshaller() {
    ServerMethodDefinition<?, ?> getUser = RequestParsing.parseInCall(new UserServiceGrpc.UserServiceImplBase() {}
        .bindService()).getMethod(UserServiceGrpc.getGetUserMethod().getFullMethodName());
    return (MethodDescriptor.Marshaller<InputStream>) getUser.getMethodDescriptor().getRequestMarshaller();
  }
}
