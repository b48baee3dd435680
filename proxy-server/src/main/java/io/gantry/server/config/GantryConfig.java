package io.gantry.server.config;

import io.gantry.proxy.header.ForwardedHeaders;
import io.gantry.proxy.route.RouteTable;
import io.gantry.proxy.upstream.Upstream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A validated gantry configuration: the {@code gantry} block of a HOCON file, with every default
 * taken from {@code reference.conf}. Built by {@link ConfigLoader}; everything in it has been
 * checked, so building the library objects ({@link #routeTable()}, {@link #forwardedHeaders()})
 * cannot fail.
 *
 * <pre>{@code
 * GantryConfig config = ConfigLoader.defaults().load(Path.of("conf/gantry.conf"));
 * config.warnings().forEach(w -> log.warn("{}", w));
 * RouteTable routes = config.routeTable();
 * }</pre>
 *
 * @param file the absolute configuration file
 * @param listeners the listeners, in file order
 * @param tls certificates for the TLS listeners
 * @param upstreams the upstreams by name, in file order
 * @param routes the routes, in order (first match wins)
 * @param trustedProxies addresses / CIDRs whose forwarding headers are kept
 * @param admin the admin listener
 * @param accessLog the access log
 * @param shutdownGrace how long in-flight transfers may take to finish on a graceful stop
 * @param shutdownDelay how long a stopping gantry keeps serving, not ready, before it stops accepting
 * @param maxQueuedPerUpstream requests that may wait for a connection to one upstream
 * @param engine which implementation of the routing proxy serves requests
 * @param maxThreads the server's thread pool size at most, or {@link #AUTO_THREADS}
 * @param reload reloading by itself when a watched file changes
 * @param clientLimits per-client concurrency and rate limits (off by default)
 * @param warnings problems that did not stop loading
 */
public record GantryConfig(
    Path file,
    List<ListenerConfig> listeners,
    TlsConfig tls,
    Map<String, UpstreamConfig> upstreams,
    List<RouteConfig> routes,
    List<String> trustedProxies,
    AdminConfig admin,
    AccessLogConfig accessLog,
    Duration shutdownGrace,
    Duration shutdownDelay,
    int maxQueuedPerUpstream,
    Engine engine,
    int maxThreads,
    ReloadConfig reload,
    ClientLimitsConfig clientLimits,
    List<ConfigProblem> warnings) {

  /** The routing proxy's two implementations; they behave the same, the handler costs less. */
  public enum Engine {
    /** {@link io.gantry.proxy.RoutingProxyHandler}, on core Jetty (the default). */
    HANDLER,
    /** {@link io.gantry.proxy.RoutingProxyServlet} in a servlet context. */
    SERVLET
  }

  /** {@code max-threads = auto}: the server sizes its pool (GantryServer.threads). */
  public static final int AUTO_THREADS = 0;

  public GantryConfig {
    listeners = List.copyOf(listeners);
    upstreams = Collections.unmodifiableMap(new LinkedHashMap<>(upstreams));
    routes = List.copyOf(routes);
    trustedProxies = List.copyOf(trustedProxies);
    warnings = List.copyOf(warnings);
    reload = reload == null ? ReloadConfig.DEFAULT : reload;
  }

  /** The library upstreams by name, in file order; the same instances the route table uses. */
  public Map<String, Upstream> upstreamsByName() {
    Map<String, Upstream> map = new LinkedHashMap<>();
    upstreams.forEach((name, u) -> map.put(name, u.upstream()));
    return Collections.unmodifiableMap(map);
  }

  /** The HTTPS port each plain listener with {@code redirect-to} sends its clients to, by listener name. */
  public Map<String, Integer> httpsRedirects() {
    Map<String, Integer> redirects = new LinkedHashMap<>();
    for (ListenerConfig l : listeners) {
      if (l.redirects()) {
        redirects.put(l.name(), l.redirectTo());
      }
    }
    return redirects;
  }

  /** The route table, routes in file order. */
  public RouteTable routeTable() {
    RouteTable.Builder b = RouteTable.builder();
    for (RouteConfig route : routes) {
      b.route(route.toRoute(upstreams.get(route.to()).upstream()));
    }
    return b.build();
  }

  /** The forwarding-header policy trusting {@link #trustedProxies()}. */
  public ForwardedHeaders forwardedHeaders() {
    return trustedProxies.isEmpty() ? ForwardedHeaders.NONE_TRUSTED : ForwardedHeaders.trusting(trustedProxies);
  }

  /** The listener called {@code name}, or {@code null}. */
  public ListenerConfig listener(String name) {
    for (ListenerConfig l : listeners) {
      if (l.name().equals(name)) {
        return l;
      }
    }
    return null;
  }
}
