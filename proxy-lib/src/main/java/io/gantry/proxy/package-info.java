/**
 * gantry's routing reverse proxy as a library: route requests by port, host, method, path,
 * User-Agent, header or a strategy of your own to upstreams, with path safety, the SNI/Host check,
 * forwarding headers and {@code Location}/{@code Link} rewriting done for you, bodies streamed
 * both ways without a size limit.
 *
 * <h2>Entry points</h2>
 *
 * <ul>
 *   <li>{@link io.gantry.proxy.route.RouteTable}, {@link io.gantry.proxy.route.Route} and {@link
 *       io.gantry.proxy.route.RouteStrategies}: which requests go where (first match wins);
 *   <li>{@link io.gantry.proxy.RoutingProxyHandler}: the proxy as a core Jetty {@code Handler},
 *       alone or in front of an application's own handlers ({@code passUnmatched(true)} in a
 *       {@code Handler.Sequence});
 *   <li>{@link io.gantry.proxy.RoutingProxyServlet}: the same proxy as a servlet, at {@code /*} or
 *       at a sub-path next to an application's servlets;
 *   <li>{@link io.gantry.proxy.ProxyObserver} and {@link io.gantry.proxy.ProxyExchange}: what
 *       happened to each request, for metrics, access logs and audits.
 * </ul>
 *
 * <pre>{@code
 * RouteTable routes = RouteTable.builder()
 *     .route(Route.of("pull", host("registry.example.com").and(method("GET", "HEAD")),
 *         Upstream.of("http://nexus:8081/repository/docker-group/")))
 *     .route(Route.of("push", host("registry.example.com"),
 *         Upstream.of("http://nexus:8081/repository/docker-hosted/")))
 *     .build();
 * server.setHandler(RoutingProxyHandler.builder().routes(routes).build());
 * }</pre>
 *
 * <h2>Supported Jetty versions</h2>
 *
 * <p>Built and tested against Eclipse Jetty <b>12.1.14</b>, the version {@code
 * io.gantry:gantry-bom} imports. Any <b>12.1.x</b> is expected to work (the library's own tests
 * also pass on 12.1.0): it uses Jetty's public API only and extends two classes through their
 * protected hooks, the core {@code org.eclipse.jetty.proxy.ProxyHandler} (under {@link
 * io.gantry.proxy.RoutingProxyHandler}) and the ee10 {@code
 * org.eclipse.jetty.ee10.proxy.AsyncProxyServlet} (under {@link
 * io.gantry.proxy.RoutingProxyServlet}), hooks Jetty keeps stable within a minor line. Jetty 12.0.x
 * is not supported: the library compiles against it, but uploads with {@code Expect: 100-continue}
 * stall there (seen with 12.0.36). The servlet needs an ee10 (Jakarta Servlet 6.0) context; an
 * application on another environment puts {@link io.gantry.proxy.RoutingProxyHandler} in front of
 * it instead. Import the BOM rather than choosing Jetty's version yourself, so that the application
 * and gantry agree on it.
 *
 * <p>Java 17 or later.
 */
package io.gantry.proxy;
