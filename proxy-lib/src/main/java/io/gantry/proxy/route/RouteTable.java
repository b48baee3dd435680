package io.gantry.proxy.route;

import io.gantry.proxy.validation.InvalidSettingException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The ordered, immutable list of routes: the first route whose strategy matches wins.
 *
 * <p>Lookup is indexed by host: routes whose strategy requires a host (a {@code host(..)}
 * strategy, alone or as a part of {@code &&}) are only tried for requests to that host, so a
 * table with a thousand virtual hosts costs per request what a table with one costs. Routes
 * without a host condition, and user strategies, are tried for every host, in table order.
 *
 * <pre>{@code
 * RouteTable table = RouteTable.builder()
 *     .route(Route.of("push-port", port(8086), hosted))
 *     .route(Route.of("pull", host("registry.example.com").and(method("GET", "HEAD")), group))
 *     .route(Route.of("push", host("registry.example.com"), hosted))
 *     .build();
 * }</pre>
 */
public final class RouteTable {
  private static final Route[] NONE = new Route[0];

  private final List<Route> routes;
  private final Map<String, Route[]> byExactHost;
  private final Map<String, Route[]> byWildcardSuffix;
  private final Route[] anyHost;
  private final Scope[] scopes;
  private final Map<Route, Scope> scopeByRoute = new IdentityHashMap<>();

  private RouteTable(List<Route> routes) {
    this.routes = List.copyOf(routes);
    int n = routes.size();
    scopes = new Scope[n];
    Set<String> exactHosts = new LinkedHashSet<>();
    Set<String> suffixes = new LinkedHashSet<>();
    for (int i = 0; i < n; i++) {
      scopes[i] = Scope.of(routes.get(i).strategy());
      scopeByRoute.put(routes.get(i), scopes[i]);
      if (scopes[i].host != null) {
        exactHosts.addAll(scopes[i].host.exact());
        suffixes.addAll(scopes[i].host.wildcardSuffixes());
      }
    }
    Map<String, Route[]> exact = new HashMap<>();
    for (String h : exactHosts) {
      exact.put(h, candidates(h, null));
    }
    Map<String, Route[]> wild = new HashMap<>();
    for (String s : suffixes) {
      wild.put(s, candidates(null, s));
    }
    this.byExactHost = Map.copyOf(exact);
    this.byWildcardSuffix = Map.copyOf(wild);
    this.anyHost = candidates(null, null);
  }

  /** Routes that may match {@code host} (or any host under wildcard {@code suffix}), in order. */
  private Route[] candidates(String host, String suffix) {
    List<Route> out = new ArrayList<>();
    for (int i = 0; i < routes.size(); i++) {
      Strategies.Host h = scopes[i].host;
      if (h == null
          || (host != null && h.matchesHost(host))
          || (suffix != null && h.wildcardSuffixes().contains(suffix))) {
        out.add(routes.get(i));
      }
    }
    return out.toArray(NONE);
  }

  public static RouteTable of(Collection<Route> routes) {
    Builder b = builder();
    routes.forEach(b::route);
    return b.build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The first route matching {@code request}, or {@code null} when none does. */
  public Route match(RequestView request) {
    for (Route route : candidatesFor(request.host())) {
      if (route.strategy().matches(request)) {
        return route;
      }
    }
    return null;
  }

  private Route[] candidatesFor(String host) {
    Route[] list = byExactHost.get(host);
    if (list != null) {
      return list;
    }
    if (!byWildcardSuffix.isEmpty()) {
      String suffix = HostNames.wildcardSuffix(host);
      if (suffix != null) {
        list = byWildcardSuffix.get(suffix);
        if (list != null) {
          return list;
        }
      }
    }
    return anyHost;
  }

  /**
   * Whether some route could accept requests for {@code host} on the given listener: false means
   * every request for that host there would miss, which a TLS listener answers with 421.
   * Conditions other than host and listener (method, path, headers, user strategies) are assumed
   * to be satisfiable.
   */
  public boolean acceptsHost(String host, int localPort, String listenerName) {
    String h = HostNames.normalize(host);
    for (Route route : candidatesFor(h)) {
      Scope scope = scopeOf(route);
      if ((scope.host == null || scope.host.matchesHost(h)) && scope.acceptsListener(localPort, listenerName)) {
        return true;
      }
    }
    return false;
  }

  private Scope scopeOf(Route route) {
    return scopeByRoute.get(route);
  }

  /** The routes in order. */
  public List<Route> routes() {
    return routes;
  }

  public boolean isEmpty() {
    return routes.isEmpty();
  }

  /** One line per route: {@code 1. name: rule -> upstream}. */
  @Override
  public String toString() {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < routes.size(); i++) {
      b.append(String.format("%3d. %s%n", i + 1, routes.get(i)));
    }
    return b.toString();
  }

  /** What the table can read of a route's strategy without running it. */
  private record Scope(Strategies.Host host, Set<Integer> ports, Set<String> listeners) {
    static Scope of(RouteStrategy strategy) {
      List<RouteStrategy> parts = strategy instanceof Strategies.And and ? and.parts() : List.of(strategy);
      Strategies.Host host = null;
      Set<Integer> ports = null;
      Set<String> listeners = null;
      for (RouteStrategy part : parts) {
        if (part instanceof Strategies.Host h && host == null) {
          host = h;
        } else if (part instanceof Strategies.Port p && ports == null) {
          ports = p.ports();
        } else if (part instanceof Strategies.Listener l && listeners == null) {
          listeners = l.names();
        }
      }
      return new Scope(host, ports, listeners);
    }

    boolean acceptsListener(int localPort, String listenerName) {
      return (ports == null || ports.contains(localPort))
          && (listeners == null || (listenerName != null && listeners.contains(listenerName)));
    }
  }

  /** Collects routes in order; route names must be unique. */
  public static final class Builder {
    private final List<Route> routes = new ArrayList<>();

    private Builder() {}

    /** Appends {@code route}; a name already taken is refused with {@link InvalidSettingException} (setting {@code route}). */
    public Builder route(Route route) {
      for (int i = 0; i < routes.size(); i++) {
        if (routes.get(i).name().equals(route.name())) {
          throw new InvalidSettingException("route", "'" + route.name() + "' at index " + routes.size()
              + " repeats the name of index " + i);
        }
      }
      routes.add(route);
      return this;
    }

    public RouteTable build() {
      return new RouteTable(routes);
    }
  }
}
