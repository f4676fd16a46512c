package io.github.usergrpc.user.service.internal;

import io.github.usergrpc.user.v1.ErrorReason;
import io.grpc.Attributes;
import io.grpc.KnownLength;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.SecurityLevel;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Moves request parsing into the call so that bytes which do not parse as the request message are answered
 * with INVALID_ARGUMENT (reason MALFORMED_REQUEST). By default grpc-java parses before the application sees
 * the message and answers such a request with UNKNOWN ("Application error processing RPC").
 *
 * <p>A call to a method that takes one request but ends without sending it also gets MALFORMED_REQUEST,
 * where grpc-java would answer INTERNAL ("Half-closed without a request"): it is the client's error. (A
 * call that sends a second request is reset by grpc-java itself before any of them reaches the service;
 * the client sees CANCELLED.)
 */
public final class RequestParsing {

  /**
   * Passes the request bytes through. One instance per method, so that a transport which looks requests up by
   * their marshaller (Armeria's JSON transcoding on the HTTP port) can tell the methods apart.
   */
  private static final class RawMarshaller implements MethodDescriptor.Marshaller<InputStream> {
    @Override
    public InputStream stream(InputStream value) {
      return value;
    }

    /**
     * Copies the bytes: grpc-java hands the stream to the listener at once, but Armeria (the HTTP port)
     * releases the buffer behind it before its blocking executor delivers the message.
     *
     * <p>Both transports' streams know their length ({@code available()} is the rest of the message), so the
     * copy is one array of the message's size; {@code readAllBytes()} would zero and drop an 8 KiB buffer
     * per call instead.
     */
    @Override
    public InputStream parse(InputStream stream) {
      try {
        byte[] bytes = stream.readNBytes(Math.max(stream.available(), 0));
        int next = stream.read();
        if (next >= 0) {
          // available() was short of the whole message: read the rest.
          ByteArrayOutputStream all = new ByteArrayOutputStream(bytes.length + 1024);
          all.write(bytes);
          all.write(next);
          stream.transferTo(all);
          bytes = all.toByteArray();
        }
        return new RequestBytes(bytes);
      } catch (IOException e) {
        throw Status.INTERNAL.withDescription("cannot read the request").withCause(e).asRuntimeException();
      }
    }
  }

  /**
   * The copied bytes of one request. {@link KnownLength} lets grpc-java's protobuf marshaller parse them from
   * an array (its buffer per thread) instead of through a stream decoder with a 4 KiB buffer of its own.
   */
  private static final class RequestBytes extends ByteArrayInputStream implements KnownLength {
    RequestBytes(byte[] bytes) {
      super(bytes);
    }
  }

  private RequestParsing() {}

  /**
   * Returns {@code service} with every method receiving raw bytes and parsing them itself. Reflection keeps
   * working: the schema descriptors are kept.
   *
   * @param service the service, with all interceptors that should see parsed requests already applied
   * @return the wrapped service
   */
  public static ServerServiceDefinition parseInCall(ServerServiceDefinition service) {
    ServiceDescriptor original = service.getServiceDescriptor();
    ServiceDescriptor.Builder descriptor = ServiceDescriptor.newBuilder(original.getName())
        .setSchemaDescriptor(original.getSchemaDescriptor());
    List<ServerMethodDefinition<InputStream, ?>> methods = new ArrayList<>();
    for (ServerMethodDefinition<?, ?> method : service.getMethods()) {
      ServerMethodDefinition<InputStream, ?> wrapped = wrap(method);
      methods.add(wrapped);
      descriptor.addMethod(wrapped.getMethodDescriptor());
    }
    ServerServiceDefinition.Builder builder = ServerServiceDefinition.builder(descriptor.build());
    methods.forEach(builder::addMethod);
    return builder.build();
  }

  private static <ReqT, RespT> ServerMethodDefinition<InputStream, RespT> wrap(
      ServerMethodDefinition<ReqT, RespT> definition) {
    MethodDescriptor<ReqT, RespT> method = definition.getMethodDescriptor();
    MethodDescriptor<InputStream, RespT> raw =
        method.toBuilder(new RawMarshaller(), method.getResponseMarshaller()).build();
    ServerCallHandler<ReqT, RespT> handler = definition.getServerCallHandler();
    return ServerMethodDefinition.create(raw,
        (call, headers) -> new ParsingListener<>(method, call, handler.startCall(new ParsedCall<>(call, method), headers)));
  }

  /** Parses each message and hands it on; closes the call when one does not parse. */
  private static final class ParsingListener<ReqT, RespT> extends ServerCall.Listener<InputStream> {
    private final MethodDescriptor<ReqT, RespT> method;
    private final ServerCall<InputStream, RespT> call;
    private final ServerCall.Listener<ReqT> next;
    private boolean received;
    private boolean rejected;

    ParsingListener(MethodDescriptor<ReqT, RespT> method, ServerCall<InputStream, RespT> call,
        ServerCall.Listener<ReqT> next) {
      this.method = method;
      this.call = call;
      this.next = next;
    }

    @Override
    public void onMessage(InputStream bytes) {
      if (rejected) {
        return;
      }
      received = true;
      ReqT request;
      try (bytes) {
        request = method.parseRequest(bytes);
      } catch (RuntimeException | IOException e) {
        reject("the request does not parse as a " + method.getBareMethodName() + " request");
        return;
      }
      next.onMessage(request);
    }

    @Override
    public void onHalfClose() {
      if (rejected) {
        return;
      }
      if (!received && method.getType().clientSendsOneMessage()) {
        reject("the " + method.getBareMethodName() + " call ended without a request message");
        return;
      }
      next.onHalfClose();
    }

    private void reject(String message) {
      rejected = true;
      StatusRuntimeException failure = ErrorMapper.error(ErrorReason.MALFORMED_REQUEST, message, Map.of());
      call.close(failure.getStatus(), failure.getTrailers());
    }

    @Override
    public void onCancel() {
      next.onCancel();
    }

    @Override
    public void onComplete() {
      next.onComplete();
    }

    @Override
    public void onReady() {
      next.onReady();
    }
  }

  /** The raw call seen with its original, typed method descriptor. */
  private static final class ParsedCall<ReqT, RespT> extends ServerCall<ReqT, RespT> {
    private final ServerCall<InputStream, RespT> raw;
    private final MethodDescriptor<ReqT, RespT> method;

    ParsedCall(ServerCall<InputStream, RespT> raw, MethodDescriptor<ReqT, RespT> method) {
      this.raw = raw;
      this.method = method;
    }

    @Override
    public void request(int numMessages) {
      raw.request(numMessages);
    }

    @Override
    public void sendHeaders(Metadata headers) {
      raw.sendHeaders(headers);
    }

    @Override
    public void sendMessage(RespT message) {
      raw.sendMessage(message);
    }

    @Override
    public boolean isReady() {
      return raw.isReady();
    }

    @Override
    public void close(Status status, Metadata trailers) {
      raw.close(status, trailers);
    }

    @Override
    public boolean isCancelled() {
      return raw.isCancelled();
    }

    @Override
    public void setMessageCompression(boolean enabled) {
      raw.setMessageCompression(enabled);
    }

    @Override
    public void setCompression(String compressor) {
      raw.setCompression(compressor);
    }

    @Override
    public void setOnReadyThreshold(int numBytes) {
      raw.setOnReadyThreshold(numBytes);
    }

    @Override
    public SecurityLevel getSecurityLevel() {
      return raw.getSecurityLevel();
    }

    @Override
    public Attributes getAttributes() {
      return raw.getAttributes();
    }

    @Override
    public String getAuthority() {
      return raw.getAuthority();
    }

    @Override
    public MethodDescriptor<ReqT, RespT> getMethodDescriptor() {
      return method;
    }
  }
}
