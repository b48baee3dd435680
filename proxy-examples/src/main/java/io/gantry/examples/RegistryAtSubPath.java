// Run it (from the repository's root; without an argument it starts a demo registry of its own):
//   mvn -q -pl proxy-examples -am install exec:java -DskipTests -Dexec.mainClass=io.gantry.examples.RegistryAtSubPath
// then: curl localhost:8080/registry/v2/library/alpine/manifests/3.20 (through gantry),
// curl -i -X POST localhost:8080/registry/v2/library/alpine/blobs/uploads/ (Location under /registry),
// curl localhost:8080/api/hello (the application). -Dexec.args="8080 http://nexus:8081" uses a real Nexus.
package io.gantry.examples;

import io.gantry.proxy.RoutingProxyServlet;
import io.gantry.proxy.route.RouteTable;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * A servlet application that serves a registry under {@code /registry}, next to its own servlets:
 * {@link RoutingProxyServlet} mapped to {@code /registry/*}.
 *
 * <p>The mount is invisible to the routes and the upstream: {@code GET /registry/v2/x/manifests/1}
 * is routed as {@code /v2/x/manifests/1} and reaches Nexus as {@code
 * /repository/docker-group/v2/x/manifests/1}, and the {@code Location} Nexus answers with (its own
 * address and prefix) reaches the client as {@code http://<public host>/registry/v2/...}. A path
 * under {@code /registry} that no route takes is the proxy's 404; paths outside it never see the
 * proxy. ({@code keepMountPath(true)} would route and forward the full path instead.)
 */
public final class RegistryAtSubPath {
  private RegistryAtSubPath() {}

  /**
   * What the routes see is the path below the mount, {@code /v2/...}: the same pull/push routes as
   * {@link ProxyInFrontOfApp#routes}, which sees the same paths at the root.
   */
  public static RouteTable routes(String nexusUrl) {
    return ProxyInFrontOfApp.routes(nexusUrl);
  }

  /** A started server on {@code port} (0: any free port). */
  public static Server start(int port, String nexusUrl) throws Exception {
    Server server = new Server();
    ServerConnector connector = new ServerConnector(server);
    connector.setPort(port);
    server.addConnector(connector);

    ServletContextHandler context = new ServletContextHandler("/");
    context.addServlet(RoutingProxyServlet.builder().routes(routes(nexusUrl)).build().toHolder(), "/registry/*");
    context.addServlet(new ServletHolder("api", new Api()), "/api/*");
    server.setHandler(context);
    server.start();
    return server;
  }

  /** One of the application's own servlets. */
  static final class Api extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
      response.setContentType("text/plain; charset=utf-8");
      response.getWriter().write("the application: " + request.getRequestURI());
    }
  }

  public static void main(String[] args) throws Exception {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 8080;
    DemoUpstream demo = args.length > 1 ? null : DemoUpstream.start("demo-registry");
    String nexus = args.length > 1 ? args[1] : demo.url();
    Server server = start(port, nexus);
    System.out.println("registry at /registry, the application at /api, on port "
        + ((ServerConnector) server.getConnectors()[0]).getLocalPort() + "; routes:\n" + routes(nexus));
    server.join();
  }
}
