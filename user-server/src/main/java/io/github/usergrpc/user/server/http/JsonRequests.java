package io.github.usergrpc.user.server.http;

import com.google.api.AnnotationsProto;
import com.google.api.HttpRule;
import com.google.protobuf.Descriptors;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.rpc.BadRequest;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.server.DecoratingHttpServiceFunction;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import com.linecorp.armeria.server.grpc.GrpcService;
import io.github.usergrpc.user.v1.ErrorReason;
import io.grpc.ServerMethodDefinition;
import io.grpc.protobuf.ProtoMethodDescriptorSupplier;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks each transcoded request as it was sent, before Armeria turns it into a gRPC call: a body is
 * {@code application/json} (else 415) and valid by {@link StrictJson}; every query parameter names a
 * scalar field of the request (by proto or JSON name) and holds a value of its type; a route whose body is
 * the whole request ({@code body: "*"}) takes no query parameters. A failed check is answered with 400
 * INVALID_ARGUMENT, reason MALFORMED_REQUEST, and a {@code BadRequest} naming the fields; it never reaches the
 * service. Framed gRPC and gRPC-Web requests pass untouched.
 */
final class JsonRequests implements DecoratingHttpServiceFunction {

  private final GrpcService grpcService;

  JsonRequests(GrpcService grpcService) {
    this.grpcService = grpcService;
  }

  @Override
  public HttpResponse serve(HttpService delegate, ServiceRequestContext ctx, HttpRequest req) throws Exception {
    MediaType contentType = req.contentType();
    if (contentType != null && contentType.subtype().startsWith("grpc")) {
      return delegate.serve(ctx, req);
    }
    ServerMethodDefinition<?, ?> method = grpcService.methodDefinition(ctx);
    if (method == null
        || !(method.getMethodDescriptor().getSchemaDescriptor() instanceof ProtoMethodDescriptorSupplier schema)) {
      return delegate.serve(ctx, req);
    }
    Descriptors.MethodDescriptor proto = schema.getMethodDescriptor();
    HttpRule rule = proto.getOptions().getExtension(AnnotationsProto.http);
    boolean wholeBody = rule.getBody().equals("*");
    Descriptors.Descriptor type = proto.getInputType();

    List<BadRequest.FieldViolation> violations = new ArrayList<>();
    for (String name : ctx.queryParams().names()) {
      if (wholeBody) {
        violations.add(violation(name, "this route takes its fields from the body, not from query parameters"));
        continue;
      }
      FieldDescriptor field = type.findFieldByName(name);
      if (field == null) {
        field = type.getFields().stream().filter(f -> f.getJsonName().equals(name)).findFirst().orElse(null);
      }
      if (field == null || field.isRepeated() || field.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
        violations.add(violation(name, "unknown query parameter " + name + " of " + type.getName()));
        continue;
      }
      List<String> values = ctx.queryParams().getAll(name);
      if (values.size() > 1) {
        violations.add(violation(name, "query parameter " + name + " is given " + values.size() + " times"));
        continue;
      }
      String problem = problem(field, values.get(0));
      if (problem != null) {
        violations.add(violation(name, problem));
      }
    }
    if (!violations.isEmpty()) {
      return malformed("the query parameters do not match " + type.getName(), violations);
    }
    if (!wholeBody) {
      return plainJson(delegate.serve(ctx, req));
    }
    return HttpResponse.of(req.aggregate().thenApply(aggregated -> {
      byte[] body = aggregated.content().array();
      if (body.length > 0 && (aggregated.contentType() == null || !aggregated.contentType().isJson())) {
        return RpcStatusJson.response(HttpStatus.UNSUPPORTED_MEDIA_TYPE,
            RpcStatusJson.error(ErrorReason.MALFORMED_REQUEST,
                "the body must be JSON, sent with 'Content-Type: application/json'")).toHttpResponse();
      }
      List<BadRequest.FieldViolation> bodyViolations = StrictJson.check(body, type);
      if (!bodyViolations.isEmpty()) {
        return malformed("the body is not a valid " + type.getName() + " in JSON", bodyViolations);
      }
      try {
        return plainJson(delegate.serve(ctx, aggregated.toHttpRequest()));
      } catch (Exception e) {
        return HttpResponse.ofFailure(e);
      }
    }));
  }

  /**
   * Returns {@code response} labelled {@code application/json}, as the gateway always did, rather than
   * Armeria's {@code application/json; charset=utf-8}: JSON is UTF-8 by definition (RFC 8259), which is why
   * that media type defines no charset parameter.
   */
  private static HttpResponse plainJson(HttpResponse response) {
    return response.mapHeaders(headers -> MediaType.JSON_UTF_8.equals(headers.contentType())
        ? headers.toBuilder().contentType(MediaType.JSON).build() : headers);
  }

  /** Returns why {@code value} cannot be the value of {@code field}, or null if it can. */
  private static String problem(FieldDescriptor field, String value) {
    try {
      switch (field.getJavaType()) {
        case INT -> Integer.parseInt(value);
        case LONG -> Long.parseLong(value);
        case FLOAT, DOUBLE -> Double.parseDouble(value);
        case BOOLEAN -> {
          if (!value.equals("true") && !value.equals("false")) {
            return "expected true or false";
          }
        }
        default -> { }
      }
      return null;
    } catch (NumberFormatException e) {
      return "expected " + (field.getJavaType() == FieldDescriptor.JavaType.FLOAT
          || field.getJavaType() == FieldDescriptor.JavaType.DOUBLE ? "a number" : "an integer");
    }
  }

  private static HttpResponse malformed(String message, List<BadRequest.FieldViolation> violations) {
    return RpcStatusJson.response(RpcStatusJson.malformed(message, violations)).toHttpResponse();
  }

  private static BadRequest.FieldViolation violation(String field, String description) {
    return BadRequest.FieldViolation.newBuilder().setField(field).setDescription(description).build();
  }
}
