// Run it (from the repository's root; without an argument it starts a demo registry of its own):
//   mvn -q -pl proxy-examples -am install exec:java -DskipTests -Dexec.mainClass=io.gantry.examples.ProxyInFrontOfApp
// then: curl localhost:8080/v2/library/alpine/manifests/3.20 (the registry, through gantry) and
// curl localhost:8080/ (the application). -Dexec.args="8080 http://nexus:8081" uses a real Nexus.
package io.gantry.examples;

import static io.gantry.proxy.route.RouteStrategies.method;
import static io.gantry.proxy.route.RouteStrategies.pathPrefix;

import io.gantry.proxy.RoutingProxyHandler;
import io.gantry.proxy.route.Route;
import io.gantry.proxy.route.RouteTable;
import io.gantry.proxy.upstream.Upstream;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;

/**
 * gantry in front of an application's own handlers: one Jetty server, one port, the registry API
 * ({@code /v2/}) proxied to Nexus and everything else answered by the application.
 *
 * <p>{@link RoutingProxyHandler.Builder#passUnmatched passUnmatched(true)} makes the proxy leave
 * the requests no route matches to the next handler of the {@link Handler.Sequence}. Refusals for
 * safety stay the proxy's: a path climbing out with {@code ..}, an SNI/Host mismatch on TLS, or
 * TRACE never reach the application either.
 */
public final class ProxyInFrontOfApp {
  private ProxyInFrontOfApp() {}

  /** Pulls to the group repository, pushes to the hosted one; nothing else is the proxy's. */
  public static RouteTable routes(String nexusUrl) {
    String nexus = nexusUrl.endsWith("/") ? nexusUrl : nexusUrl + "/";
    return RouteTable.builder()
        .route(Route.of("pull", pathPrefix("/v2/").and(method("GET", "HEAD")), Upstream.of(nexus + "repository/docker-group/")))
        .route(Route.of("push", pathPrefix("/v2/"), Upstream.of(nexus + "repository/docker-hosted/")))
        .build();
  }

  /** A started server on {@code port} (0: any free port): the proxy, then the application. */
  public static Server start(int port, String nexusUrl) throws Exception {
    Server server = new Server();
    ServerConnector connector = new ServerConnector(server);
    connector.setPort(port);
    server.addConnector(connector);

    RoutingProxyHandler proxy = RoutingProxyHandler.builder()
        .routes(routes(nexusUrl))
        .passUnmatched(true)
        .build();
    server.setHandler(new Handler.Sequence(proxy, new Application()));
    server.start();
    return server;
  }

  /** The application's own handler: whatever it is, it sees only what no route took. */
  static final class Application extends Handler.Abstract {
    @Override
    public boolean handle(Request request, Response response, Callback callback) {
      response.getHeaders().put("Content-Type", "text/plain; charset=utf-8");
      Content.Sink.write(response, true, "the application: " + request.getMethod() + " "
          + request.getHttpURI().getPath(), callback);
      return true;
    }
  }

  public static void main(String[] args) throws Exception {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 8080;
    DemoUpstream demo = args.length > 1 ? null : DemoUpstream.start("demo-registry");
    String nexus = args.length > 1 ? args[1] : demo.url();
    Server server = start(port, nexus);
    System.out.println("gantry in front of the application on port "
        + ((ServerConnector) server.getConnectors()[0]).getLocalPort() + "; routes:\n" + routes(nexus));
    server.join();
  }
}
