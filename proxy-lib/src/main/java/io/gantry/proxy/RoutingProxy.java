package io.gantry.proxy;

import io.gantry.proxy.route.RouteTable;

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
}
