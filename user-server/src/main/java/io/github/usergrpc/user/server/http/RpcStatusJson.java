package io.github.usergrpc.user.server.http;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.TypeRegistry;
import com.google.protobuf.util.JsonFormat;
import com.google.rpc.BadRequest;
import com.google.rpc.DebugInfo;
import com.google.rpc.ErrorInfo;
import com.google.rpc.Help;
import com.google.rpc.LocalizedMessage;
import com.google.rpc.PreconditionFailure;
import com.google.rpc.QuotaFailure;
import com.google.rpc.RequestInfo;
import com.google.rpc.ResourceInfo;
import com.google.rpc.RetryInfo;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import io.github.usergrpc.user.api.ErrorReasons;
import io.github.usergrpc.user.v1.ErrorReason;
import io.grpc.Status;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.annotation.Nullable;

/**
 * Every error of the HTTP port as its body says it: the {@code google.rpc.Status} in the proto3 JSON mapping
 * ({@code {"code":5,"message":"...","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo",...}]}}),
 * with the HTTP status that google/rpc/code.proto gives the code. Armeria's own JSON errors add a
 * {@code grpc-code} key; these do not, so that the body parses as a {@code google.rpc.Status} as documented.
 */
final class RpcStatusJson {

  private static final JsonFormat.Printer PRINTER = JsonFormat.printer()
      .usingTypeRegistry(TypeRegistry.newBuilder()
          .add(List.of(ErrorInfo.getDescriptor(), BadRequest.getDescriptor(), RetryInfo.getDescriptor(),
              ResourceInfo.getDescriptor(), QuotaFailure.getDescriptor(), PreconditionFailure.getDescriptor(),
              Help.getDescriptor(), LocalizedMessage.getDescriptor(), DebugInfo.getDescriptor(),
              RequestInfo.getDescriptor()))
          .build())
      .omittingInsignificantWhitespace();
  private static final String DETAILS_HEADER = "grpc-status-details-bin";

  private RpcStatusJson() {}

  /** Returns the response carrying {@code status}, with the HTTP status of its code. */
  static AggregatedHttpResponse response(com.google.rpc.Status status) {
    return response(HttpStatus.valueOf(HttpStatuses.of(Status.fromCodeValue(status.getCode()).getCode())), status);
  }

  /** Returns the response carrying {@code status}, with the given HTTP status. */
  static AggregatedHttpResponse response(HttpStatus httpStatus, com.google.rpc.Status status) {
    return AggregatedHttpResponse.of(httpStatus, MediaType.JSON, json(status));
  }

  /** Returns {@code status} in the proto3 JSON mapping. */
  static String json(com.google.rpc.Status status) {
    try {
      return PRINTER.print(status);
    } catch (InvalidProtocolBufferException e) {
      // A detail of a type not registered above: drop the details rather than fail the response.
      return json(status.toBuilder().clearDetails().build());
    }
  }

  /**
   * Returns the status of an ended gRPC call: the {@code google.rpc.Status} its trailers carry (with its
   * details), else one made of its code and description.
   */
  static com.google.rpc.Status of(Status status, @Nullable String detailsHeader) {
    if (detailsHeader != null) {
      try {
        com.google.rpc.Status details = com.google.rpc.Status.parseFrom(Base64.getDecoder().decode(detailsHeader));
        if (details.getCode() == status.getCode().value()) {
          return details;
        }
      } catch (InvalidProtocolBufferException | IllegalArgumentException e) {
        // Fall back to the code and description below.
      }
    }
    return com.google.rpc.Status.newBuilder()
        .setCode(status.getCode().value())
        .setMessage(Optional.ofNullable(status.getDescription()).orElse(status.getCode().name()))
        .build();
  }

  /** Returns the name of the trailer that carries the {@code google.rpc.Status}. */
  static String detailsHeader() {
    return DETAILS_HEADER;
  }

  /** Returns a status with an {@code ErrorInfo} of {@code reason}. */
  static com.google.rpc.Status error(ErrorReason reason, String message) {
    return com.google.rpc.Status.newBuilder()
        .setCode(ErrorReasons.code(reason).value())
        .setMessage(message)
        .addDetails(Any.pack(ErrorReasons.errorInfo(reason, Map.of())))
        .build();
  }

  /** Returns the INVALID_ARGUMENT status of a request that does not parse, with its field violations. */
  static com.google.rpc.Status malformed(String message, List<BadRequest.FieldViolation> violations) {
    return error(ErrorReason.MALFORMED_REQUEST, message).toBuilder()
        .addDetails(Any.pack(BadRequest.newBuilder().addAllFieldViolations(violations).build()))
        .build();
  }

  /** Returns a status of {@code code} without details. */
  static com.google.rpc.Status plain(Status.Code code, String message) {
    return com.google.rpc.Status.newBuilder().setCode(code.value()).setMessage(message).build();
  }

  /** The gRPC code of a response that Armeria answered itself, by its HTTP status. */
  static final Map<Integer, Status.Code> PROTOCOL_CODES = Map.ofEntries(
      Map.entry(400, Status.Code.INVALID_ARGUMENT),
      Map.entry(401, Status.Code.UNAUTHENTICATED),
      Map.entry(403, Status.Code.PERMISSION_DENIED),
      Map.entry(404, Status.Code.NOT_FOUND),
      Map.entry(405, Status.Code.UNIMPLEMENTED),
      Map.entry(408, Status.Code.DEADLINE_EXCEEDED),
      Map.entry(413, Status.Code.RESOURCE_EXHAUSTED),
      Map.entry(415, Status.Code.INVALID_ARGUMENT),
      Map.entry(429, Status.Code.RESOURCE_EXHAUSTED),
      Map.entry(431, Status.Code.RESOURCE_EXHAUSTED),
      Map.entry(501, Status.Code.UNIMPLEMENTED),
      Map.entry(503, Status.Code.UNAVAILABLE),
      Map.entry(504, Status.Code.DEADLINE_EXCEEDED));
}
