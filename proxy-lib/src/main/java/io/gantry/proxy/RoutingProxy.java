package io.gantry.proxy;

import io.gantry.proxy.route.RouteTable;
import io.gantry.proxy.upstream.InstanceStatus;
import io.gantry.proxy.upstream.Upstream;
import java.util.List;

/**
 * What both engines of the routing proxy offer once built: {@link RoutingProxyHandler} (core
 * Jetty) and {@link RoutingProxyServlet} (a servlet container) run the same steps and differ only
 * in where they are mounted.
 *
 * <pre>{@code
 * RoutingProxy proxy = RoutingProxyHandler.builder().routes(routes).build();
 * proxy.setRoutes(reloaded); // requests already routed finish on the old table
 * }</pre>
 */
public interface RoutingProxy {
  /** The routes in use. */
  RouteTable routes();

  /**
   * Replaces the route table; requests already routed finish on the old one. This is how routes
   * are reloaded without a restart.
   */
  void setRoutes(RouteTable routes);

  /**
   * The state of each instance of {@code upstream} (up, ejected, failing its health check; in
   * flight), as this proxy sees it: for health endpoints and operators.
   */
  List<InstanceStatus> instances(Upstream upstream);

  /**
   * How many HTTP clients to upstreams run: one per distinct connect timeout, trust store and
   * connection limit among the routes. After {@link #setRoutes} the clients no route needs any
   * more are stopped once nothing runs on them.
   */
  int upstreamClients();
}
