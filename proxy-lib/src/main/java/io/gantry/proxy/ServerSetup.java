package io.gantry.proxy;

import io.gantry.proxy.route.Route;
import io.gantry.proxy.route.RouteTable;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * What the proxy needs of the server it is embedded in, done when the proxy starts (see {@link
 * ProxyBuilder#configureServer}): every path must reach gantry's own judge, and what Jetty refuses
 * before any handler runs should look and count like gantry's refusals.
 */
final class ServerSetup {
  private ServerSetup() {}

  /**
   * Configures {@code server} for the proxy, or, when {@code configure} is off, checks that it
   * already lets through what the routes need.
   *
   * @throws IllegalStateException when a route's option cannot work on a connector as configured
   */
  static void prepare(Server server, RouteTable routes, ProxyFlow flow, boolean configure) {
    if (server == null) {
      return;
    }
    for (Connector connector : server.getConnectors()) {
      for (ConnectionFactory factory : connector.getConnectionFactories()) {
        if (factory instanceof HttpConfiguration.ConnectionFactory http) {
          uriCompliance(http.getHttpConfiguration(), connector, routes, configure);
        }
      }
    }
    if (configure && isJettys(server.getErrorHandler())) {
      server.setErrorHandler(new RefusalPages(flow));
    }
  }

  /**
   * gantry's {@code PathNormalizer} judges every path (a clear 400 for what could climb out of a
   * prefix, encoded slashes forwarded where a route allows them); Jetty's default compliance would
   * answer ambiguous paths with its own HTML 400 before gantry sees them.
   */
  private static void uriCompliance(HttpConfiguration http, Connector connector, RouteTable routes, boolean configure) {
    if (configure) {
      http.setUriCompliance(UriCompliance.UNSAFE);
      return;
    }
    if (!http.getUriCompliance().allows(UriCompliance.Violation.AMBIGUOUS_PATH_SEPARATOR)) {
      for (Route route : routes.routes()) {
        if (route.allowEncodedSlashes()) {
          throw new IllegalStateException("route '" + route.name() + "' allows encoded slashes, but connector "
              + (connector.getName() == null ? connector.toString() : "'" + connector.getName() + "'")
              + " refuses them before the proxy sees them (expected: its HttpConfiguration's UriCompliance to allow"
              + " AMBIGUOUS_PATH_SEPARATOR, e.g. UriCompliance.UNSAFE, or configureServer(true))");
        }
      }
    }
  }

  /** Whether the handler is Jetty's default (not one the application chose). */
  private static boolean isJettys(Request.Handler handler) {
    return handler == null || handler.getClass().getName().startsWith("org.eclipse.jetty.");
  }

  /**
   * Answers what Jetty refuses by itself (a malformed request, a request line or headers over the
   * limits: 400, 414, 431) with gantry's short body instead of Jetty's HTML page, and reports it to
   * the proxy's observers and access log.
   */
  static final class RefusalPages extends ErrorHandler {
    private final ProxyFlow flow;

    RefusalPages(ProxyFlow flow) {
      this.flow = flow;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
      int status = response.getStatus();
      String message = request.getAttribute(ERROR_MESSAGE) instanceof String m ? m : null;
      if (request.getAttribute(ERROR_EXCEPTION) instanceof HttpException http) {
        status = http.getCode();
        message = message != null ? message : http.getReason();
      }
      if (status < 400) {
        status = 500;
      }
      ErrorResponse error = flow.refusedBeforeRouting(request, status,
          message == null ? HttpStatus.getMessage(status) : message);
      ProxyExchange exchange = ProxyExchange.of(request);
      Callback complete = Callback.from(callback, () -> flow.complete(exchange, error.status()));
      if (HttpStatus.hasNoBody(status) || "HEAD".equals(request.getMethod())) {
        response.setStatus(status);
        complete.succeeded();
      } else {
        error.writeTo(response, complete);
      }
      return true;
    }
  }
}
