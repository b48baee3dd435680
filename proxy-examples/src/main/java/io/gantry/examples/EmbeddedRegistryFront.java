// Run it (from the repository's root; without an argument it starts a demo registry of its own):
//   mvn -q -pl proxy-examples -am install exec:java -DskipTests -Dexec.mainClass=io.gantry.examples.EmbeddedRegistryFront
// then: curl localhost:8080/v2/library/alpine/manifests/3.20 ; -Dexec.args="8080 http://nexus:8081" uses a real Nexus.
package io.gantry.examples;

import static io.gantry.proxy.route.RouteStrategies.host;
import static io.gantry.proxy.route.RouteStrategies.method;
import static io.gantry.proxy.route.RouteStrategies.pathPrefix;

import io.gantry.proxy.ProxyExchange;
import io.gantry.proxy.ProxyObserver;
import io.gantry.proxy.RoutingProxyServlet;
import io.gantry.proxy.route.Route;
import io.gantry.proxy.route.RouteTable;
import io.gantry.proxy.upstream.Upstream;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * gantry inside your own application: a Jetty server whose root context is a registry front for
 * a Nexus, in a dozen lines. Pulls (GET, HEAD) go to the group repository, pushes to the hosted
 * one, everything else to the Nexus UI; a listener logs each exchange.
 */
public final class EmbeddedRegistryFront {
  private EmbeddedRegistryFront() {}

  /** The route table for a Nexus at {@code nexusUrl} (no trailing slash). */
  public static RouteTable routes(String nexusUrl) {
    Upstream group = Upstream.of(nexusUrl + "/repository/docker-group/");
    Upstream hosted = Upstream.of(nexusUrl + "/repository/docker-hosted/");
    return RouteTable.builder()
        .route(Route.of("pull", pathPrefix("/v2/").and(method("GET", "HEAD")), group))
        .route(Route.of("push", pathPrefix("/v2/"), hosted))
        .route(Route.of("ui", host("*.example.com").or(host("localhost")), Upstream.of(nexusUrl + "/")))
        .build();
  }

  /** A started server on {@code port} (0: any free port). */
  public static Server start(int port, String nexusUrl) throws Exception {
    Server server = new Server();
    ServerConnector connector = new ServerConnector(server);
    connector.setPort(port);
    server.addConnector(connector);

    RoutingProxyServlet proxy = RoutingProxyServlet.builder()
        .routes(routes(nexusUrl))
        .observer(new ProxyObserver() {
          @Override
          public void onCompleted(ProxyExchange e, int status) {
            System.out.printf("%s %s %s -> %s %d (%d bytes)%n",
                e.requestId(), e.method(), e.path(), e.routeName(), status, e.bytesOut());
          }
        })
        .build();
    ServletContextHandler context = new ServletContextHandler("/");
    context.addServlet(proxy.toHolder(), "/*");
    server.setHandler(context);
    server.start();
    return server;
  }

  public static void main(String[] args) throws Exception {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 8080;
    DemoUpstream demo = args.length > 1 ? null : DemoUpstream.start("demo-registry");
    String nexus = args.length > 1 ? args[1] : demo.url().replaceAll("/$", "");
    Server server = start(port, nexus);
    System.out.println("routes:\n" + routes(nexus));
    server.join();
  }
}
