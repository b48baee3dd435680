package io.gantry.server.testing;

import static io.gantry.proxy.route.RouteStrategies.method;
import static io.gantry.proxy.route.RouteStrategies.pathPrefix;

import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.health.HealthCheckRegistry;
import io.gantry.proxy.RoutingProxyServlet;
import io.gantry.proxy.metrics.ProxyMetrics;
import io.gantry.proxy.route.Route;
import io.gantry.proxy.route.RouteTable;
import io.gantry.proxy.upstream.Upstream;
import io.gantry.server.accesslog.AccessLog;
import io.gantry.server.admin.AdminServer;
import io.gantry.server.admin.UpstreamHealthCheck;
import io.gantry.server.metrics.ServerMetrics;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.RequestLog;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * gantry as the main wiring will assemble it: a proxy connector named {@code public}, the proxy
 * context restricted to it, the library's {@link ProxyMetrics} as the observer (upstreams named
 * {@code nexus} and {@code mirror}), an {@link AccessLog} writing to
 * a queue, and the {@link AdminServer} on its own connector; all on ephemeral ports.
 *
 * <p>Routes: {@code pull} (GET/HEAD under {@code /v2/}), {@code push} (the rest of {@code /v2/}),
 * both to the backend; {@code down} ({@code /down/}) to a port nothing listens on; {@code idle}
 * is known but never matched. Anything else matches no route.
 */
public final class Gantry {
  public final Backend backend;
  public final MetricRegistry metrics = new MetricRegistry();
  public final HealthCheckRegistry healthChecks = new HealthCheckRegistry();
  public final BlockingQueue<String> accessLines = new LinkedBlockingQueue<>();
  public final AtomicBoolean ready = new AtomicBoolean();
  public final ProxyMetrics proxyMetrics;
  public final RouteTable routes;
  public final Server server;
  public final ServerConnector proxyConnector;
  public final AdminServer admin;

  public Gantry(AccessLog.Format format) throws Exception {
    backend = new Backend();
    Upstream up = Upstream.of(backend.url());
    Upstream down = Upstream.of("http://127.0.0.1:" + freePort() + "/");
    routes = RouteTable.builder()
        .route(Route.of("pull", pathPrefix("/v2/").and(method("GET", "HEAD")), up))
        .route(Route.of("push", pathPrefix("/v2/"), up))
        .route(Route.of("down", pathPrefix("/down/"), down))
        .route(Route.of("idle", pathPrefix("/idle/"), up))
        .build();
    Map<String, Upstream> upstreams = Map.of("nexus", up, "mirror", down);
    proxyMetrics = ProxyMetrics.builder(metrics).routes(routes).upstreamNames(upstreams).build();

    server = new Server(ServerMetrics.threadPool(metrics, 4, 32));
    proxyConnector = new ServerConnector(server, 1, 1,
        ServerMetrics.instrument(metrics, new HttpConnectionFactory(), "public"));
    proxyConnector.setName("public");
    proxyConnector.setHost("127.0.0.1");
    server.addConnector(proxyConnector);

    RoutingProxyServlet servlet = RoutingProxyServlet.builder().routes(routes).observer(proxyMetrics).build();
    UpstreamHealthCheck.registerAll(healthChecks, upstreams, servlet::instances);
    ServletContextHandler proxy = new ServletContextHandler("/");
    proxy.addServlet(servlet.toHolder(), "/*");
    AdminServer.onlyOnConnectors(proxy, List.of("public"));
    server.setHandler(proxy);
    RequestLog.Writer toQueue = accessLines::add;
    server.setRequestLog(new AccessLog(format, toQueue));

    admin = AdminServer.builder(metrics, healthChecks)
        .port(0)
        .routes(() -> servlet.routes().toString())
        .ready(ready::get)
        .install(server);
    server.start();
  }

  public int proxyPort() {
    return proxyConnector.getLocalPort();
  }

  public int adminPort() {
    return admin.connector().getLocalPort();
  }

  /** The next access log line, waiting for it: Jetty logs after the response is sent. */
  public String nextAccessLine() throws InterruptedException {
    String line = accessLines.poll(5, TimeUnit.SECONDS);
    if (line == null) {
      throw new AssertionError("no access log line within 5 s");
    }
    return line;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  public void close() throws Exception {
    server.stop();
    backend.close();
  }
}
