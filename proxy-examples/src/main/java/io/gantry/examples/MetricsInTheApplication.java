// Run it (from the repository's root; without an argument it starts a demo registry of its own):
//   mvn -q -pl proxy-examples -am install exec:java -DskipTests -Dexec.mainClass=io.gantry.examples.MetricsInTheApplication
// then: curl localhost:8080/registry/v2/ a few times, curl localhost:8080/admin/metrics/prometheus
// (and /admin/metrics for JSON); the process prints the route's request count every 5 s.
package io.gantry.examples;

import static io.gantry.proxy.route.RouteStrategies.pathPrefix;

import com.codahale.metrics.MetricRegistry;
import io.gantry.proxy.RoutingProxyServlet;
import io.gantry.proxy.metrics.MetricsServlets;
import io.gantry.proxy.metrics.ProxyMetrics;
import io.gantry.proxy.route.Route;
import io.gantry.proxy.route.RouteTable;
import io.gantry.proxy.upstream.Upstream;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * gantry's metrics in an application's own registry: read in code (a route's request timer and
 * status classes), and served next to the application under {@code /admin} by Dropwizard's
 * servlets, JSON and Prometheus text, with one call ({@link MetricsServlets#mount}).
 *
 * <p>The registry is the application's; {@link ProxyMetrics} is an observer of the proxy, added
 * like any other. Metric names: {@code gantry.route.<route>.requests}, {@code ...responses.2xx},
 * {@code gantry.upstream.<name>.*}, {@code gantry.unrouted.refused.<reason>} (see its javadoc).
 */
public final class MetricsInTheApplication {
  private MetricsInTheApplication() {}

  /** A started server on {@code port}: the proxy at {@code /registry/*}, metrics at {@code /admin}. */
  public static Server start(int port, String nexusUrl, MetricRegistry registry) throws Exception {
    Upstream nexus = Upstream.of(nexusUrl.endsWith("/") ? nexusUrl + "repository/docker-group/" : nexusUrl + "/repository/docker-group/");
    RouteTable routes = RouteTable.builder().route(Route.of("registry", pathPrefix("/v2/"), nexus)).build();
    ProxyMetrics metrics = ProxyMetrics.builder(registry).routes(routes).upstreamName("nexus", nexus).build();

    ServletContextHandler context = new ServletContextHandler("/");
    context.addServlet(RoutingProxyServlet.builder().routes(routes).observer(metrics).build().toHolder(), "/registry/*");
    MetricsServlets.mount(context, "/admin", registry, null);

    Server server = new Server();
    ServerConnector connector = new ServerConnector(server);
    connector.setPort(port);
    server.addConnector(connector);
    server.setHandler(context);
    server.start();
    return server;
  }

  /** Requests completed on the route so far: what a health page or a test reads in code. */
  public static long registryRequests(MetricRegistry registry) {
    return registry.timer(ProxyMetrics.ROUTE_PREFIX + "registry.requests").getCount();
  }

  public static void main(String[] args) throws Exception {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 8080;
    DemoUpstream demo = args.length > 1 ? null : DemoUpstream.start("demo-registry");
    MetricRegistry registry = new MetricRegistry();
    Server server = start(port, args.length > 1 ? args[1] : demo.url(), registry);
    System.out.println("proxy at /registry/*, metrics at /admin/metrics and /admin/metrics/prometheus on port "
        + ((ServerConnector) server.getConnectors()[0]).getLocalPort());
    while (true) {
      Thread.sleep(5000);
      System.out.println("gantry.route.registry.requests = " + registryRequests(registry)
          + ", 2xx = " + registry.meter(ProxyMetrics.ROUTE_PREFIX + "registry.responses.2xx").getCount());
    }
  }
}
