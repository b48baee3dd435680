package io.gantry.proxy.metrics;

import com.codahale.metrics.Gauge;
import com.codahale.metrics.Meter;
import com.codahale.metrics.MetricRegistry;
import io.gantry.proxy.ProxyExchange;
import io.gantry.proxy.ProxyObserver;
import io.gantry.proxy.Refusal;
import io.gantry.proxy.route.Route;
import io.gantry.proxy.route.RouteTable;
import io.gantry.proxy.upstream.InstanceStatus;
import io.gantry.proxy.upstream.Upstream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Dropwizard metrics for the proxy, fed by its {@link ProxyObserver} events (either engine). Add it
 * as an observer; the registry is the application's.
 *
 * <pre>{@code
 * MetricRegistry registry = new MetricRegistry();
 * ProxyMetrics metrics = ProxyMetrics.builder(registry)
 *     .routes(routes)                                   // known routes and upstreams at zero
 *     .upstreamName("nexus", nexus)                     // gantry.upstream.nexus.* instead of a label
 *     .build();
 * RoutingProxyHandler proxy = RoutingProxyHandler.builder().routes(routes).observer(metrics).build();
 * }</pre>
 *
 * <p>Per route, under {@code gantry.route.<name>.}, and per upstream, under {@code
 * gantry.upstream.<upstream>.}:
 *
 * <ul>
 *   <li>{@code requests}: Timer, from arrival until the exchange completed;
 *   <li>{@code responses.1xx} .. {@code responses.5xx}: Meters, by the status the client got;
 *   <li>{@code bytes-in}, {@code bytes-out}: Counters of request and response body bytes;
 *   <li>{@code upstream-errors}: Meter, the upstream could not be reached, timed out or failed;
 *   <li>{@code client-errors}: Meter, the client broke, cut short or stalled its request body
 *       (never counted as an upstream error);
 *   <li>{@code retries}: Meter, requests sent to another instance after one failed before answering.
 * </ul>
 *
 * Per upstream also: {@code instances.up}, a Gauge of its instances that take requests; {@code
 * instance.<host_port>.up}, a Gauge per instance (1 or 0); {@code instance-outages}, a Meter of
 * instances going out of service (ejected, or failing their health check).
 *
 * Routes also count what gantry refused although they matched ({@code refused}, and {@code
 * refused.<reason>}, e.g. {@code refused.encoded-slash}); an upstream counts only the requests
 * forwarded to it. Requests no route took are counted under {@code gantry.unrouted.} ({@code
 * requests}, {@code responses.<n>xx}, bytes), their refusals by status, {@code
 * gantry.unrouted.refused.<status>}, and by reason, {@code gantry.unrouted.refused.<reason>}:
 * {@code misdirected}, {@code unknown-host}, {@code unsafe-path}, {@code method-not-allowed},
 * {@code no-route}, and what Jetty refused before routing: {@code malformed}, {@code
 * uri-too-long}, {@code headers-too-large}, {@code too-large}, {@code other} ({@link
 * Refusal#label()}). Every 421 is also counted per listener (connector name): {@code
 * gantry.listener.<name>.misdirected}.
 *
 * <p><b>Upstream names.</b> Upstreams have no name in the library; unless named with {@link
 * Builder#upstreamName}, an upstream's metrics are under {@link #upstreamLabel(Upstream)}: host,
 * port and path prefix, lower case, with every run of characters other than letters, digits and
 * {@code -} turned into one {@code _} ({@code http://nexus:8081/repository/docker-group/} is {@code
 * nexus_8081_repository_docker-group}). The label is stable across restarts and reloads, carries
 * no scheme, credentials or query, and is the same for upstreams that differ only in timeouts or
 * trust store: they share metrics.
 *
 * <p>Routes and upstreams known at start-up (or passed to {@link #register}) exist at zero before
 * any traffic, so dashboards and alerts see them; others are created on first use. The holders are
 * cached, so the request path does a map lookup or two and no string building.
 */
public final class ProxyMetrics implements ProxyObserver {
  /** The prefix of per-route metrics. */
  public static final String ROUTE_PREFIX = "gantry.route.";
  /** The prefix of per-upstream metrics. */
  public static final String UPSTREAM_PREFIX = "gantry.upstream.";
  /** The prefix of metrics for requests that matched no route. */
  public static final String UNROUTED_PREFIX = "gantry.unrouted.";
  /** The prefix of per-listener metrics: {@code gantry.listener.<name>.misdirected}. */
  public static final String LISTENER_PREFIX = "gantry.listener.";
  private static final String UNROUTED = "-";
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]+");

  private final MetricRegistry registry;
  private final Map<Upstream, String> upstreamNames;
  private final Map<String, Traffic> routes = new ConcurrentHashMap<>();
  private final Map<Upstream, Traffic> upstreams = new ConcurrentHashMap<>();
  private final Traffic unrouted;
  private final Map<Integer, Meter> unroutedByStatus = new ConcurrentHashMap<>();
  private final Map<String, Meter> misdirected = new ConcurrentHashMap<>();
  /** Instances out of service, by URL; the gauges read it. */
  private final Set<String> instancesDown = ConcurrentHashMap.newKeySet();

  private ProxyMetrics(Builder b) {
    this.registry = b.registry;
    this.upstreamNames = new ConcurrentHashMap<>(b.upstreamNames);
    this.unrouted = new Traffic(registry, UNROUTED_PREFIX);
    for (String name : b.routeNames) {
      route(name);
    }
    for (RouteTable table : b.tables) {
      register(table);
    }
  }

  /** Metrics in {@code registry}, with the routes and upstreams of {@code routes} registered at zero. */
  public static ProxyMetrics of(MetricRegistry registry, RouteTable routes) {
    return builder(registry).routes(routes).build();
  }

  /** Starts metrics in {@code registry}. */
  public static Builder builder(MetricRegistry registry) {
    return new Builder(registry);
  }

  /** The registry the metrics live in. */
  public MetricRegistry registry() {
    return registry;
  }

  /**
   * Registers at zero the routes and upstreams of {@code table} not seen yet, e.g. after {@code
   * setRoutes} replaced the table; metrics of earlier routes stay.
   */
  public void register(RouteTable table) {
    for (Route route : table.routes()) {
      route(route.name());
      upstream(route.upstream());
    }
  }

  /**
   * {@link #register(RouteTable)}, naming the upstreams not named yet (as {@link
   * Builder#upstreamNames}): a reload that adds a named upstream reports it under its name. An
   * upstream keeps the name its metrics were first created under.
   */
  public void register(RouteTable table, Map<String, Upstream> names) {
    names.forEach((name, upstream) -> {
      if (name != null && NAME.matcher(name).matches()) {
        upstreamNames.putIfAbsent(upstream, name);
      }
    });
    register(table);
  }

  /**
   * The name segment of an upstream nobody named: host, port and prefix, lower case, every run of
   * characters other than {@code [a-z0-9-]} turned into one {@code _}, none at either end.
   */
  public static String upstreamLabel(Upstream upstream) {
    return label(upstream.host() + ":" + upstream.port() + upstream.prefix());
  }

  private static String label(String text) {
    String raw = text.toLowerCase(Locale.ROOT);
    StringBuilder label = new StringBuilder(raw.length());
    boolean gap = false;
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') {
        if (gap && label.length() > 0) {
          label.append('_');
        }
        label.append(c);
        gap = false;
      } else {
        gap = true;
      }
    }
    return label.toString();
  }

  /** The name segment {@code upstream}'s metrics are under: the name given to the builder, or its label. */
  public String upstreamName(Upstream upstream) {
    String name = upstreamNames.get(upstream);
    return name != null ? name : upstreamLabel(upstream);
  }

  @Override
  public void onRefused(ProxyExchange exchange, int status, String reason) {
    if (status == 421) {
      String listener = exchange.arrival().listener();
      misdirected(listener == null ? UNROUTED : listener);
    }
    Refusal kind = exchange.refusal();
    if (kind == null) {
      kind = Refusal.OTHER; // an exchange already forwarded that Jetty then refused: not gantry's decision
    }
    Traffic metrics = routeOf(exchange);
    if (metrics == unrouted) {
      unroutedByStatus.computeIfAbsent(status, s -> registry.meter(UNROUTED_PREFIX + "refused." + s)).mark();
    } else {
      metrics.refused.mark();
    }
    metrics.refusedFor(kind).mark();
  }

  @Override
  public void onUpstreamFailure(ProxyExchange exchange, int status, Throwable failure) {
    routeOf(exchange).upstreamErrors.mark();
    Traffic upstream = upstreamOf(exchange);
    if (upstream != null) {
      upstream.upstreamErrors.mark();
    }
  }

  @Override
  public void onClientFailure(ProxyExchange exchange, int status, Throwable failure) {
    routeOf(exchange).clientErrors.mark();
    Traffic upstream = upstreamOf(exchange);
    if (upstream != null) {
      upstream.clientErrors.mark();
    }
  }

  @Override
  public void onRetried(ProxyExchange exchange, Throwable failure) {
    routeOf(exchange).retries.mark();
    Traffic upstream = upstreamOf(exchange);
    if (upstream != null) {
      upstream.retries.mark();
    }
  }

  @Override
  public void onInstanceChanged(Upstream upstream, InstanceStatus status) {
    if (status.isUp()) {
      instancesDown.remove(status.url());
    } else if (instancesDown.add(status.url())) {
      upstream(upstream).instanceOutages.mark();
    }
  }

  @Override
  public void onCompleted(ProxyExchange exchange, int status) {
    long nanos = exchange.elapsedNanos();
    routeOf(exchange).completed(exchange, status, nanos);
    Traffic upstream = upstreamOf(exchange);
    if (upstream != null) {
      upstream.completed(exchange, status, nanos);
    }
  }

  private void misdirected(String listenerName) {
    Meter meter = misdirected.get(listenerName);
    if (meter == null) {
      meter = misdirected.computeIfAbsent(listenerName, n -> registry.meter(LISTENER_PREFIX + n + ".misdirected"));
    }
    meter.mark();
  }

  private Traffic routeOf(ProxyExchange exchange) {
    return route(exchange.routeName());
  }

  /** The forwarded-to upstream's metrics, or null when the request never went upstream. */
  private Traffic upstreamOf(ProxyExchange exchange) {
    Route route = exchange.route();
    return route == null || exchange.refusal() != null ? null : upstream(route.upstream());
  }

  private Traffic route(String name) {
    if (name == null || name.equals(UNROUTED)) {
      return unrouted;
    }
    Traffic metrics = routes.get(name);
    return metrics != null ? metrics : routes.computeIfAbsent(name, n -> new Traffic(registry, ROUTE_PREFIX + n + "."));
  }

  private Traffic upstream(Upstream upstream) {
    Traffic metrics = upstreams.get(upstream);
    return metrics != null ? metrics : upstreams.computeIfAbsent(upstream, this::newUpstream);
  }

  private Traffic newUpstream(Upstream upstream) {
    String prefix = UPSTREAM_PREFIX + upstreamName(upstream) + ".";
    Traffic metrics = new Traffic(registry, prefix);
    List<String> urls = upstream.instances().stream().map(Upstream.Instance::url).toList();
    gauge(prefix + "instances.up", () -> (int) urls.stream().filter(url -> !instancesDown.contains(url)).count());
    for (Upstream.Instance instance : upstream.instances()) {
      String label = label(instance.host() + ":" + instance.port());
      gauge(prefix + "instance." + label + ".up", () -> instancesDown.contains(instance.url()) ? 0 : 1);
    }
    return metrics;
  }

  /** Registers a gauge unless one of that name exists (an upstream changed by a reload keeps its name). */
  private void gauge(String name, Gauge<Integer> gauge) {
    if (!registry.getGauges().containsKey(name)) {
      try {
        registry.register(name, gauge);
      } catch (IllegalArgumentException raced) {
        // registered meanwhile: the same reading
      }
    }
  }

  /** Configures {@link ProxyMetrics}. */
  public static final class Builder {
    private final MetricRegistry registry;
    private final Map<Upstream, String> upstreamNames = new HashMap<>();
    private final Map<String, Upstream> upstreamsByName = new HashMap<>();
    private final List<String> routeNames = new ArrayList<>();
    private final List<RouteTable> tables = new ArrayList<>();

    private Builder(MetricRegistry registry) {
      this.registry = Objects.requireNonNull(registry, "registry");
    }

    /** Registers the routes and upstreams of {@code routes} at zero; none by default. */
    public Builder routes(RouteTable routes) {
      tables.add(Objects.requireNonNull(routes, "routes"));
      return this;
    }

    /** Registers routes by name at zero (their upstreams appear on first use). */
    public Builder routeNames(Collection<String> names) {
      routeNames.addAll(names);
      return this;
    }

    /**
     * Names an upstream: its metrics are under {@code gantry.upstream.<name>.} instead of its
     * {@linkplain #upstreamLabel label}. An upstream named twice keeps its first name (aliases
     * of one URL); one name for two different upstreams is refused.
     *
     * @param name letters, digits, {@code -}, {@code _} and {@code .}
     */
    public Builder upstreamName(String name, Upstream upstream) {
      Objects.requireNonNull(upstream, "upstream");
      if (name == null || !NAME.matcher(name).matches()) {
        throw new IllegalArgumentException("name: '" + name + "' (expected: letters, digits, '-', '_' and '.')");
      }
      Upstream earlier = upstreamsByName.putIfAbsent(name, upstream);
      if (earlier != null && !earlier.equals(upstream)) {
        throw new IllegalArgumentException("name: '" + name + "' for " + upstream + " (expected: a name not already given to "
            + earlier + ")");
      }
      upstreamNames.putIfAbsent(upstream, name);
      return this;
    }

    /** {@link #upstreamName} for each entry, in the map's order. */
    public Builder upstreamNames(Map<String, Upstream> upstreams) {
      upstreams.forEach(this::upstreamName);
      return this;
    }

    /** The metrics, with what was given registered at zero. */
    public ProxyMetrics build() {
      return new ProxyMetrics(this);
    }
  }
}
