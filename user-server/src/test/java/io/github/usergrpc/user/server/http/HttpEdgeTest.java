package io.github.usergrpc.user.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Message;
import com.google.protobuf.Struct;
import com.google.protobuf.util.JsonFormat;
import com.linecorp.armeria.client.grpc.GrpcClients;
import com.linecorp.armeria.common.grpc.GrpcSerializationFormats;
import io.github.usergrpc.user.server.UserServer;
import io.github.usergrpc.user.testsupport.GrpcCleanup;
import io.github.usergrpc.user.testsupport.LoopbackHttp;
import io.github.usergrpc.user.v1.CreateUserRequest;
import io.github.usergrpc.user.v1.GetUserRequest;
import io.github.usergrpc.user.v1.UserProto;
import io.github.usergrpc.user.v1.UserResponse;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Every route and error of the HTTP port, with the JDK's HttpClient, against the real service. */
class HttpEdgeTest {

  @RegisterExtension
  final GrpcCleanup cleanup = new GrpcCleanup();
  private final HttpClient http = LoopbackHttp.newClient();
  private EdgeFixture edge;
  private UserServer server;
  private ManagedChannel channel;
  private HttpEdge gateway;

  @BeforeEach
  void start() throws Exception {
    edge = EdgeFixture.start(cleanup);
    server = edge.server();
    channel = edge.channel();
    gateway = edge.edge();
  }

  @Test
  void createGetListUpdateDelete_roundTripAsJson() throws Exception {
    HttpResponse<String> created = send("POST", "/v1/users",
        "{\"email\":\"ada@example.com\",\"name\":\"Ada\",\"role\":\"admin\"}");
    assertThat(created.statusCode()).isEqualTo(200);
    assertThat(created.headers().firstValue("Content-Type")).contains("application/json");
    String id = field(created.body(), "id");
    String etag = field(created.body(), "etag");
    assertThat(created.body()).contains("\"createdAt\":\"", "\"updatedAt\":\"", "\"role\":\"admin\"");

    HttpResponse<String> got = send("GET", "/v1/users/" + id, null);
    assertThat(got.statusCode()).isEqualTo(200);
    assertThat(got.body()).isEqualTo(created.body());

    HttpResponse<String> page = send("GET", "/v1/users?limit=10&role_filter=admin", null);
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.body()).contains(id, "\"total\":1", "\"nextPageToken\":\"\"");

    HttpResponse<String> updated = send("PATCH", "/v1/users/" + id,
        "{\"name\":\"Ada King\",\"etag\":" + quote(etag) + "}");
    assertThat(updated.statusCode()).isEqualTo(200);
    assertThat(updated.body()).contains("\"name\":\"Ada King\"");

    HttpResponse<String> deleted = send("DELETE", "/v1/users/" + id + "?etag="
        + URLEncoder.encode(field(updated.body(), "etag"), StandardCharsets.UTF_8), null);
    assertThat(deleted.statusCode()).isEqualTo(200);
    assertThat(deleted.body()).isEqualTo("{}");
    assertThat(send("GET", "/v1/users/" + id, null).statusCode()).isEqualTo(404);
  }

  @Test
  void snakeCaseInputAndCamelCaseQueryParameters_areAccepted() throws Exception {
    String body = "{\"email\":\"snake@example.com\",\"name\":\"Snake\",\"request_id\":"
        + "\"1b4e28ba-2fa1-41d2-883f-0016d3cca427\"}";
    HttpResponse<String> first = send("POST", "/v1/users", body);
    HttpResponse<String> again = send("POST", "/v1/users", body);
    for (int i = 0; i < 3; i++) {
      send("POST", "/v1/users", "{\"email\":\"p" + i + "@example.com\",\"name\":\"P\"}");
    }

    String token = field(send("GET", "/v1/users?limit=2", null).body(), "nextPageToken");
    HttpResponse<String> next = send("GET", "/v1/users?limit=2&pageToken=" + token, null);

    assertThat(again.body()).isEqualTo(first.body());
    assertThat(next.statusCode()).isEqualTo(200);
    assertThat(next.body()).contains("\"page\":0");
  }

  @Test
  void recordActivity_returnsTheStoredEvent() throws Exception {
    String id = field(send("POST", "/v1/users", "{\"email\":\"act@example.com\",\"name\":\"A\"}").body(), "id");

    HttpResponse<String> recorded = send("POST", "/v1/users/" + id + "/activity",
        "{\"action\":\"page_view\",\"details\":\"/home\"}");

    assertThat(recorded.statusCode()).isEqualTo(200);
    assertThat(recorded.body()).contains("\"event\":{", "\"userId\":\"" + id + "\"", "\"action\":\"page_view\"",
        "\"sequence\":\"");
  }

  @Test
  void errors_haveTheirHttpStatusAndTheRpcStatusAsBody() throws Exception {
    String user = send("POST", "/v1/users", "{\"email\":\"taken@example.com\",\"name\":\"T\"}").body();

    HttpResponse<String> missing = send("GET", "/v1/users/nobody", null);
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(missing.body()).contains("\"code\":5", "USER_NOT_FOUND", "usergrpc.github.io",
        "type.googleapis.com/google.rpc.ErrorInfo");

    HttpResponse<String> duplicate = send("POST", "/v1/users", "{\"email\":\"TAKEN@example.com\",\"name\":\"T\"}");
    assertThat(duplicate.statusCode()).isEqualTo(409);
    assertThat(duplicate.body()).contains("EMAIL_ALREADY_EXISTS");

    HttpResponse<String> invalid = send("POST", "/v1/users", "{\"email\":\"nope\",\"name\":\"\"}");
    assertThat(invalid.statusCode()).isEqualTo(400);
    assertThat(invalid.body()).contains("INVALID_FIELDS", "google.rpc.BadRequest", "\"field\":\"email\"",
        "\"field\":\"name\"");

    HttpResponse<String> stale = send("PATCH", "/v1/users/" + field(user, "id"), "{\"name\":\"X\",\"etag\":\"\\\"old\\\"\"}");
    assertThat(stale.statusCode()).isEqualTo(409);
    assertThat(stale.body()).contains("ETAG_MISMATCH", "\"code\":10");
  }

  @Test
  void requestId_isEchoedOnce_onSuccessAndOnEveryKindOfError() throws Exception {
    String user = send("POST", "/v1/users", "{\"email\":\"echo@example.com\",\"name\":\"E\"}").body();
    List<HttpResponse<String>> answers = List.of(
        sendWithRequestId("GET", "/v1/users/" + field(user, "id"), null),
        sendWithRequestId("GET", "/v1/users/nobody", null),
        sendWithRequestId("POST", "/v1/users", "{\"email\":\"nope\",\"name\":5}"),
        sendWithRequestId("GET", "/v1/groups", null));

    assertThat(answers).extracting(HttpResponse::statusCode).containsExactly(200, 404, 400, 404);
    assertThat(answers).allSatisfy(answer ->
        assertThat(answer.headers().allValues("x-request-id")).containsExactly("req-err-1"));
  }

  @Test
  void badRequests_areRejectedWithoutReachingTheService() throws Exception {
    assertThat(send("POST", "/v1/users", "{not json").statusCode()).isEqualTo(400);
    assertThat(send("POST", "/v1/users", "{\"email\":\"a@example.com\",\"nmae\":\"typo\"}").statusCode())
        .isEqualTo(400);
    assertThat(send("GET", "/v1/users?limit=many", null).statusCode()).isEqualTo(400);
    assertThat(send("GET", "/v1/users?colour=blue", null).statusCode()).isEqualTo(400);
    assertThat(send("POST", "/v1/users?role=admin", "{}").statusCode()).isEqualTo(400);
    HttpResponse<String> noRoute = send("GET", "/v1/groups", null);
    assertThat(noRoute.statusCode()).isEqualTo(404);
    assertThat(noRoute.body()).contains("\"code\":5");
    assertThat(send("PUT", "/v1/users/x", "{}").statusCode()).isEqualTo(405);
    assertThat(send("POST", "/v1/users", "x".repeat(HttpEdge.DEFAULT_MAX_REQUEST_BYTES + 10)).statusCode()).isEqualTo(429);
  }

  @Test
  void strictJson_wrongTypesUnknownFieldsDuplicatesAndBadUtf8_are400WithAFieldViolation() throws Exception {
    assertViolation(send("POST", "/v1/users", "{\"email\":[\"a@b.c\"],\"name\":\"A\"}"), "email", "a JSON string");
    assertViolation(send("POST", "/v1/users", "{\"email\":\"a@b.c\",\"name\":42}"), "name", "a JSON string");
    assertViolation(send("POST", "/v1/users", "{\"email\":\"a@b.c\",\"nmae\":\"A\"}"), "nmae", "unknown field");
    assertViolation(send("POST", "/v1/users", "{\"email\":\"a@b.c\",\"name\":\"A\",\"name\":\"B\"}"), "name",
        "given twice");
    assertViolation(send("POST", "/v1/users", "{\"email\":\"a@b.c\",\"requestId\":\"x\",\"request_id\":\"y\"}"),
        "request_id", "given twice");
    assertViolation(send("GET", "/v1/users?limit=many", null), "limit", "an integer");
    assertViolation(send("GET", "/v1/users?colour=blue", null), "colour", "unknown query parameter");

    byte[] badUtf8 = {'{', '"', 'n', 'a', 'm', 'e', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
    HttpResponse<String> invalidUtf8 = http.send(HttpRequest.newBuilder(uri("/v1/users"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(badUtf8)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertViolation(invalidUtf8, "", "not valid UTF-8");
    assertThat(send("GET", "/v1/users", null).body()).contains("\"total\":0");
  }

  @Test
  void nonJsonBodies_are415_andEveryErrorIsStatusJson_evenForAMalformedUrl() throws Exception {
    HttpResponse<String> text = http.send(HttpRequest.newBuilder(uri("/v1/users"))
        .header("Content-Type", "text/plain")
        .POST(HttpRequest.BodyPublishers.ofString("{\"email\":\"t@example.com\",\"name\":\"T\"}")).build(),
        HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> form = http.send(HttpRequest.newBuilder(uri("/v1/users"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString("email=t@example.com")).build(),
        HttpResponse.BodyHandlers.ofString());
    String malformed = rawRequest("GET /v1/users/%zz HTTP/1.1");
    String quotedEtag = rawRequest("DELETE /v1/users/x?etag=\"abc\" HTTP/1.1");

    assertThat(text.statusCode()).isEqualTo(415);
    assertThat(text.body()).contains("\"code\":3", "MALFORMED_REQUEST");
    assertThat(form.statusCode()).isEqualTo(415);
    assertThat(malformed).startsWith("HTTP/1.1 400").contains("application/json", "\"code\":3")
        .doesNotContainIgnoringCase("<html");
    // Quotes are not allowed in a URL; whichever way the server takes them, the answer is JSON.
    assertThat(quotedEtag).contains("application/json", "\"code\":").doesNotContainIgnoringCase("<html");
  }

  @Test
  void etags_inAUrlOrABody_mayComeWithOrWithoutTheirQuotes() throws Exception {
    String user = send("POST", "/v1/users", "{\"email\":\"etag@example.com\",\"name\":\"E\"}").body();
    String id = field(user, "id");
    String etag = field(user, "etag");
    assertThat(etag).startsWith("\"").endsWith("\"");
    String bare = etag.substring(1, etag.length() - 1);

    HttpResponse<String> updated = send("PATCH", "/v1/users/" + id, "{\"name\":\"F\",\"etag\":\"" + bare + "\"}");
    String newBare = field(updated.body(), "etag").replace("\"", "");
    HttpResponse<String> staleDelete = send("DELETE", "/v1/users/" + id + "?etag=" + bare, null);
    HttpResponse<String> deleted = send("DELETE", "/v1/users/" + id + "?etag=" + newBare, null);

    assertThat(updated.statusCode()).isEqualTo(200);
    assertThat(staleDelete.statusCode()).isEqualTo(409);
    assertThat(staleDelete.body()).contains("ETAG_MISMATCH");
    assertThat(deleted.statusCode()).isEqualTo(200);
  }

  private static void assertViolation(HttpResponse<String> response, String field, String description) {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
    assertThat(response.headers().firstValue("Content-Type")).contains("application/json");
    assertThat(response.body()).contains("\"code\":3", "MALFORMED_REQUEST", "google.rpc.BadRequest", description);
    if (!field.isEmpty()) {
      // A violation of the whole body has no field (the empty path, which JSON leaves out).
      assertThat(response.body()).contains("\"field\":\"" + field + "\"");
    }
  }

  /** Sends a request line as is, which the JDK's HttpClient would refuse to, and returns the raw answer. */
  private String rawRequest(String requestLine) throws Exception {
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", gateway.port())) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write((requestLine + "\r\nHost: x\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void grpcWeb_reachesTheSameServiceWithTheSameErrors() {
    UserServiceGrpc.UserServiceBlockingStub web = GrpcClients.builder("http://127.0.0.1:" + gateway.port())
        .serializationFormat(GrpcSerializationFormats.PROTO_WEB)
        .build(UserServiceGrpc.UserServiceBlockingStub.class);

    UserResponse created = web.createUser(CreateUserRequest.newBuilder().setEmail("web@example.com").setName("W")
        .build());
    StatusRuntimeException missing = catchThrowableOfType(StatusRuntimeException.class,
        () -> web.getUser(GetUserRequest.newBuilder().setId("nobody").build()));

    assertThat(web.getUser(GetUserRequest.newBuilder().setId(created.getId()).build())).isEqualTo(created);
    assertThat(missing.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(StatusProto.fromThrowable(missing).getDetails(0).toString()).contains("USER_NOT_FOUND");
  }

  @Test
  void watch_serverSentEvents_streamEachEventWithItsSequenceAsId_andEndAfterDelete() throws Exception {
    String id = field(send("POST", "/v1/users", "{\"email\":\"sse@example.com\",\"name\":\"S\"}").body(), "id");
    String login = field(send("POST", "/v1/users/" + id + "/activity", "{\"action\":\"login\"}").body(), "sequence");
    send("POST", "/v1/users/" + id + "/activity", "{\"action\":\"page_view\",\"details\":\"/a\"}");
    send("DELETE", "/v1/users/" + id, null);

    HttpResponse<InputStream> stream = http.send(HttpRequest.newBuilder(uri("/v1/users/" + id + "/activity:watch"))
        .header("Accept", "text/event-stream").header("Last-Event-ID", login).timeout(Duration.ofSeconds(10))
        .GET().build(), HttpResponse.BodyHandlers.ofInputStream());
    List<String> lines = readAll(stream.body());

    assertThat(stream.statusCode()).isEqualTo(200);
    assertThat(stream.headers().firstValue("Content-Type")).contains("text/event-stream");
    assertThat(lines).filteredOn(l -> l.startsWith("event: ")).containsExactly("event: activity", "event: activity");
    assertThat(lines).filteredOn(l -> l.startsWith("data: ")).hasSize(2)
        .anySatisfy(l -> assertThat(l).contains("\"action\":\"page_view\""))
        .anySatisfy(l -> assertThat(l).contains("\"action\":\"user.deleted\""));
    assertThat(lines).filteredOn(l -> l.startsWith("id: ")).allSatisfy(l ->
        assertThat(Long.parseLong(l.substring(4))).isGreaterThan(Long.parseLong(login)));
  }

  @Test
  void watch_newlineDelimitedJson_isTheDefault() throws Exception {
    String id = field(send("POST", "/v1/users", "{\"email\":\"nd@example.com\",\"name\":\"N\"}").body(), "id");
    String login = field(send("POST", "/v1/users/" + id + "/activity", "{\"action\":\"login\"}").body(), "sequence");
    send("DELETE", "/v1/users/" + id, null);

    HttpResponse<InputStream> stream = http.send(HttpRequest.newBuilder(
        uri("/v1/users/" + id + "/activity:watch?resume_after=" + login)).timeout(Duration.ofSeconds(10)).GET().build(),
        HttpResponse.BodyHandlers.ofInputStream());
    List<String> lines = readAll(stream.body());

    assertThat(stream.headers().firstValue("Content-Type")).contains("application/x-ndjson");
    assertThat(lines).hasSize(1);
    assertThat(lines.get(0)).startsWith("{").contains("\"action\":\"user.deleted\"");
  }

  @Test
  void watch_responseHeadSaysWhereTheWatchStarts() throws Exception {
    String id = field(send("POST", "/v1/users", "{\"email\":\"head@example.com\",\"name\":\"H\"}").body(), "id");
    String login = field(send("POST", "/v1/users/" + id + "/activity", "{\"action\":\"login\"}").body(), "sequence");
    send("DELETE", "/v1/users/" + id, null);

    HttpResponse<InputStream> stream = http.send(HttpRequest.newBuilder(
        uri("/v1/users/" + id + "/activity:watch?resumeAfter=" + login)).timeout(Duration.ofSeconds(10)).GET().build(),
        HttpResponse.BodyHandlers.ofInputStream());
    readAll(stream.body());

    assertThat(stream.statusCode()).isEqualTo(200);
    assertThat(stream.headers().firstValue("activity-resume-after")).contains(login);
  }

  @Test
  void errorBodies_parseAsGoogleRpcStatus_withoutArmeriasGrpcCodeKey() throws Exception {
    HttpResponse<String> missing = send("GET", "/v1/users/nobody", null);
    com.google.rpc.Status.Builder status = com.google.rpc.Status.newBuilder();

    JsonFormat.parser().usingTypeRegistry(com.google.protobuf.TypeRegistry.newBuilder()
        .add(com.google.rpc.ErrorInfo.getDescriptor()).build()).merge(missing.body(), status);

    assertThat(missing.body()).doesNotContain("grpc-code");
    assertThat(status.getCode()).isEqualTo(Status.Code.NOT_FOUND.value());
    assertThat(status.getDetails(0).unpack(com.google.rpc.ErrorInfo.class).getReason()).isEqualTo("USER_NOT_FOUND");
  }

  @Test
  void metrics_servedOnlyWhenAsked() throws Exception {
    assertThat(send("GET", "/metrics", null).statusCode()).isEqualTo(404);
    try (HttpEdge withMetrics = HttpEdge.newBuilder(server.userService(), channel)
        .setMetrics(() -> "up 1\n").build().start()) {
      HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + withMetrics.port() + "/metrics")).GET().build(),
          HttpResponse.BodyHandlers.ofString());

      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.body()).isEqualTo("up 1\n");
    }
  }

  /**
   * Every route of the OpenAPI document the port serves exists on the server: it is answered by the
   * service (a status with an error reason, or success), never by the router's own 404 or 405.
   */
  @Test
  void openApiDocument_isServed_andEachOfItsRoutesExistsOnTheServer() throws Exception {
    HttpResponse<String> document = send("GET", HttpEdge.OPENAPI_ROUTE, null);
    assertThat(document.statusCode()).isEqualTo(200);
    assertThat(document.headers().firstValue("content-type")).hasValueSatisfying(
        type -> assertThat(type).startsWith("application/json"));
    Struct.Builder openApi = Struct.newBuilder();
    JsonFormat.parser().merge(document.body(), openApi);
    Struct paths = openApi.getFieldsOrThrow("paths").getStructValue();

    List<String> routes = new ArrayList<>();
    paths.getFieldsMap().forEach((path, operations) -> operations.getStructValue().getFieldsMap().keySet()
        .forEach(method -> routes.add(method.toUpperCase(java.util.Locale.ROOT) + " " + path)));
    assertThat(routes).hasSize(7);
    for (String route : routes) {
      String method = route.substring(0, route.indexOf(' '));
      String path = route.substring(route.indexOf(' ') + 1).replaceAll("\\{[^}]+}", "nobody");
      String body = method.equals("POST") || method.equals("PATCH") ? "{}" : null;
      HttpResponse<String> answer = send(method, path, body);
      boolean answeredByTheService = answer.statusCode() < 400 || answer.body().contains("\"reason\"");
      assertThat(answeredByTheService).as("%s answered %s %s", route, answer.statusCode(), answer.body()).isTrue();
    }
  }

  @Test
  void docsPage_servedOnlyWhenAsked_andListsTheService() throws Exception {
    assertThat(send("GET", "/docs/specification.json", null).statusCode()).isEqualTo(404);
    try (HttpEdge withDocs = HttpEdge.newBuilder(server.userService(), channel).enableDocs().build().start()) {
      HttpResponse<String> specification = http.send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + withDocs.port() + "/docs/specification.json")).GET().build(),
          HttpResponse.BodyHandlers.ofString());
      HttpResponse<String> page = http.send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + withDocs.port() + "/docs/")).GET().build(),
          HttpResponse.BodyHandlers.ofString());

      assertThat(specification.statusCode()).isEqualTo(200);
      assertThat(specification.body()).contains("user.UserService", "GetUser", "/v1/users/");
      assertThat(page.statusCode()).isEqualTo(200);
      assertThat(page.body()).containsIgnoringCase("<html");
    }
  }

  @Test
  void cors_onlyForTheConfiguredOrigins() throws Exception {
    try (HttpEdge withCors = HttpEdge.newBuilder(server.userService(), channel)
        .setCorsOrigins(List.of("https://app.example.com")).build().start()) {
      HttpResponse<String> allowed = preflight(withCors, "https://app.example.com");
      HttpResponse<String> other = preflight(withCors, "https://evil.example.com");
      HttpResponse<String> get = http.send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + withCors.port() + "/v1/users/nobody"))
          .header("Origin", "https://app.example.com").GET().build(), HttpResponse.BodyHandlers.ofString());

      assertThat(allowed.headers().firstValue("access-control-allow-origin")).contains("https://app.example.com");
      assertThat(allowed.headers().firstValue("access-control-allow-headers").orElse(""))
          .containsIgnoringCase("authorization");
      assertThat(other.headers().firstValue("access-control-allow-origin")).isEmpty();
      assertThat(get.statusCode()).isEqualTo(404);
      assertThat(get.headers().firstValue("access-control-allow-origin")).contains("https://app.example.com");
    }
    assertThat(send("GET", "/v1/users", null).headers().firstValue("access-control-allow-origin")).isEmpty();
  }

  private HttpResponse<String> preflight(HttpEdge edge, String origin) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.port() + "/v1/users"))
        .header("Origin", origin).header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "authorization,content-type")
        .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void watch_unknownUser_isAPlain404() throws Exception {
    HttpResponse<String> response = send("GET", "/v1/users/nobody/activity:watch", null);

    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(response.body()).contains("USER_NOT_FOUND");
  }

  @Test
  void everyMessageOfTheContract_roundTripsThroughJsonFormat() throws Exception {
    for (Descriptor type : UserProto.getDescriptor().getMessageTypes()) {
      Message sample = populated(type);
      String json = JsonFormat.printer().print(sample);
      DynamicMessage.Builder parsed = DynamicMessage.newBuilder(type);

      JsonFormat.parser().merge(json, parsed);

      assertThat(parsed.build()).as(type.getName() + " via " + json).isEqualTo(sample);
    }
  }

  private static Message populated(Descriptor type) {
    DynamicMessage.Builder message = DynamicMessage.newBuilder(type);
    for (FieldDescriptor field : type.getFields()) {
      Object value = switch (field.getJavaType()) {
        case STRING -> "v-" + field.getName() + "-é\"\n";
        case INT -> 7;
        case LONG -> 1_795_591_614L;
        case BOOLEAN -> true;
        case MESSAGE -> populated(field.getMessageType());
        default -> throw new AssertionError("no sample for " + field);
      };
      if (field.isRepeated()) {
        message.addRepeatedField(field, value);
        message.addRepeatedField(field, value);
      } else {
        message.setField(field, value);
      }
    }
    return message.build();
  }

  private HttpResponse<String> send(String method, String path, String body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(10))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      request.header("Content-Type", "application/json");
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> sendWithRequestId(String method, String path, String body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30))
        .header("x-request-id", "req-err-1")
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      request.header("Content-Type", "application/json");
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private URI uri(String path) {
    return edge.uri(path);
  }

  private static List<String> readAll(InputStream body) throws Exception {
    List<String> lines = new ArrayList<>();
    try (BufferedReader reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
      String line;
      while ((line = reader.readLine()) != null) {
        if (!line.isEmpty() && !line.startsWith(":")) {
          lines.add(line);
        }
      }
    }
    return lines;
  }

  /** Returns a top-level or nested string field of a JSON body (enough for these flat responses). */
  private static String field(String json, String name) {
    Matcher matcher = Pattern.compile("\"" + name + "\":\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(json);
    assertThat(matcher.find()).as(name + " in " + json).isTrue();
    return matcher.group(1).replace("\\\"", "\"");
  }

  private static String quote(String value) {
    return "\"" + value.replace("\"", "\\\"") + "\"";
  }
}
