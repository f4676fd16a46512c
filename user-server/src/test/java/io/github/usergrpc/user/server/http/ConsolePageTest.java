package io.github.usergrpc.user.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usergrpc.user.testsupport.GrpcCleanup;
import io.github.usergrpc.user.testsupport.LoopbackHttp;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The console page's routes on the HTTP port: its files with their types and security headers, the redirect
 * to its directory, and nothing else under it. What the page does is ConsoleBrowserTest's concern.
 */
class ConsolePageTest {

  @RegisterExtension
  final GrpcCleanup cleanup = new GrpcCleanup();
  private final HttpClient http = LoopbackHttp.newClient();
  private EdgeFixture edge;

  @BeforeEach
  void start() throws Exception {
    edge = EdgeFixture.start(cleanup);
  }

  @Test
  void servesThePageItsScriptAndStyle_withTypesAndSecurityHeaders() throws Exception {
    assertFile("/console/", "text/html", "<script type=\"module\" src=\"console.js\">");
    assertFile("/console/console.js", "application/javascript", "activity-resume-after");
    assertFile("/console/console.css", "text/css", "#activity");
  }

  @Test
  void redirectsToTheDirectory_soThatRelativeLinksResolve() throws Exception {
    HttpResponse<String> response = get("/console");
    assertThat(response.statusCode()).isEqualTo(302);
    assertThat(response.headers().firstValue("location")).contains("/console/");
  }

  @Test
  void servesNothingElse_andOnlyGetAndHead() throws Exception {
    assertThat(get("/console/index.html").statusCode()).isEqualTo(404);
    assertThat(get("/console/console.ts").statusCode()).isEqualTo(404);
    HttpResponse<String> post = http.send(HttpRequest.newBuilder(uri("/console/"))
        .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(post.statusCode()).isEqualTo(405);
    HttpResponse<Void> head = http.send(HttpRequest.newBuilder(uri("/console/console.js"))
        .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
    assertThat(head.statusCode()).isEqualTo(200);
  }

  private void assertFile(String path, String type, String content) throws Exception {
    HttpResponse<String> response = get(path);
    assertThat(response.statusCode()).as(path).isEqualTo(200);
    assertThat(response.headers().firstValue("content-type")).as(path).hasValueSatisfying(
        value -> assertThat(value).startsWith(type).contains("charset=utf-8"));
    assertThat(response.headers().firstValue("content-security-policy")).as(path)
        .contains(ConsolePage.CONTENT_SECURITY_POLICY);
    assertThat(ConsolePage.CONTENT_SECURITY_POLICY)
        .contains("default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'")
        .doesNotContain("unsafe");
    assertThat(response.headers().firstValue("x-content-type-options")).as(path).contains("nosniff");
    assertThat(response.headers().firstValue("cache-control")).as(path).contains("no-cache");
    assertThat(response.body()).as(path).contains(content);
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(uri(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private URI uri(String path) {
    return edge.uri(path);
  }
}
