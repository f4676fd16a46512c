package io.github.usergrpc.user.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.api.AnnotationsProto;
import com.google.api.HttpRule;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import io.github.usergrpc.user.v1.UserProto;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The OpenAPI document on the server's classpath (generated from user.proto by scripts/openapi-check.sh, which
 * also validates it) has exactly one operation per google.api.http route of the contract the server is built
 * with, so a route added to user.proto without regenerating the document fails the build even without Node.js.
 */
class OpenApiDocumentTest {

  @Test
  void documentHasOneOperationPerHttpRuleOfTheContract() throws IOException {
    Struct document = readDocument();
    Map<String, String> documented = new TreeMap<>(); // "GET /v1/users/{id}" -> operationId
    document.getFieldsOrThrow("paths").getStructValue().getFieldsMap().forEach((path, operations) ->
        operations.getStructValue().getFieldsMap().forEach((method, operation) ->
            documented.put(method.toUpperCase(Locale.ROOT) + " " + path,
                operation.getStructValue().getFieldsOrDefault("operationId", Value.getDefaultInstance())
                    .getStringValue())));

    Map<String, String> routes = new TreeMap<>();
    for (MethodDescriptor method : UserProto.getDescriptor().findServiceByName("UserService").getMethods()) {
      HttpRule rule = method.getOptions().getExtension(AnnotationsProto.http);
      String route = switch (rule.getPatternCase()) {
        case GET -> "GET " + rule.getGet();
        case POST -> "POST " + rule.getPost();
        case PUT -> "PUT " + rule.getPut();
        case PATCH -> "PATCH " + rule.getPatch();
        case DELETE -> "DELETE " + rule.getDelete();
        default -> null;
      };
      if (route != null) {
        routes.put(route, method.getService().getName() + "_" + method.getName());
      }
    }

    assertThat(routes).hasSize(7);
    assertThat(documented)
        .as("operations of openapi.json; after changing user.proto run scripts/openapi-check.sh --write")
        .isEqualTo(routes);
  }

  private static Struct readDocument() throws IOException {
    try (InputStream in = UserServer.class.getResourceAsStream("openapi.json")) {
      assertThat(in).as("openapi.json next to UserServer on the classpath").isNotNull();
      Struct.Builder document = Struct.newBuilder();
      JsonFormat.parser().merge(new String(in.readAllBytes(), StandardCharsets.UTF_8), document);
      return document.build();
    }
  }
}
