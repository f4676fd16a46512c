package io.github.usergrpc.user.server.http;

import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.server.Route;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.server.file.HttpFile;
import java.util.Map;

/**
 * The console page at {@link #ROUTE}: a static page whose script (bundled from clients/console by
 * scripts/console-check.sh) lists users, shows one and watches its activity over gRPC-Web on the same origin.
 *
 * <p>It is static files only, the same for every visitor: the data comes from the UserService calls the page
 * makes, which need a token when the server requires one (the page then asks for it). Its Content-Security-Policy
 * lets it load only its own script and style and call only its own origin, and keeps it out of frames.
 */
final class ConsolePage {

  /** Where the page is served; {@code /console} redirects here, so that its relative links resolve. */
  static final String ROUTE = "/console/";
  private static final String RESOURCES = "io/github/usergrpc/user/server/console/";
  static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; "
      + "connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
  /** The page's files: path under {@link #ROUTE} to resource name and type. */
  private static final Map<String, Asset> ASSETS = Map.of(
      "", new Asset("index.html", MediaType.HTML_UTF_8),
      "console.js", new Asset("console.js", MediaType.JAVASCRIPT_UTF_8),
      "console.css", new Asset("console.css", MediaType.CSS_UTF_8));

  private record Asset(String resource, MediaType type) {}

  private ConsolePage() {}

  /**
   * Adds the page's routes.
   *
   * @throws IllegalStateException if a file of the page is missing from the class path
   */
  static void addTo(ServerBuilder server) {
    server.service(Route.builder().exact(ROUTE.substring(0, ROUTE.length() - 1))
        .methods(HttpMethod.GET, HttpMethod.HEAD).build(), (ctx, req) -> HttpResponse.ofRedirect(HttpStatus.FOUND, ROUTE));
    ClassLoader loader = ConsolePage.class.getClassLoader();
    ASSETS.forEach((path, asset) -> {
      String resource = RESOURCES + asset.resource();
      if (loader.getResource(resource) == null) {
        throw new IllegalStateException(resource + " is missing from the class path");
      }
      HttpFile file = HttpFile.builder(loader, resource)
          .contentType(asset.type())
          // Asked again on every load (answered 304 while unchanged), so a new server's page shows at once.
          .cacheControl("no-cache")
          .setHeader("content-security-policy", CONTENT_SECURITY_POLICY)
          .setHeader("x-content-type-options", "nosniff")
          .setHeader("referrer-policy", "no-referrer")
          .build();
      server.service(Route.builder().exact(ROUTE + path).methods(HttpMethod.GET, HttpMethod.HEAD).build(),
          file.asService());
    });
  }
}
