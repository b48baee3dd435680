package io.gantry.server.metrics;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.Meter;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.LockFreeExponentiallyDecayingReservoir;
import com.codahale.metrics.Timer;
import io.gantry.proxy.ProxyExchange;
import io.gantry.proxy.ProxyObserver;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Dropwizard metrics for the proxy, fed by its {@link ProxyObserver} events (either engine).
 *
 * <p>Per route, under {@code gantry.route.<name>.}: {@code requests} (Timer, latency until the
 * exchange completed), {@code responses.1xx} .. {@code responses.5xx} (Meters), {@code bytes-in}
 * and {@code bytes-out} (Counters of body bytes), {@code upstream-errors}, {@code client-errors}
 * (request bodies the client broke, cut short or stopped sending) and {@code refused} (Meters).
 * Requests no route matched are counted the same way under {@code gantry.unrouted.}, with their
 * refusals split by status: {@code gantry.unrouted.refused.<status>}. Every 421 is also counted
 * per listener: {@code gantry.listener.<name>.misdirected}.
 *
 * <p>Routes known at start-up are registered at once, so dashboards and alerts see them at zero
 * before any traffic; others are created on first use. The holders are cached by route name, so
 * the request path does one map lookup and no string building.
 *
 * <pre>{@code
 * ProxyMetrics metrics = new ProxyMetrics(registry, List.of("pull", "push"));
 * RoutingProxyHandler proxy = RoutingProxyHandler.builder().routes(table).observer(metrics).build();
 * metrics.registerCertificateExpiry("registry.example.com", certificate.getNotAfter().toInstant());
 * }</pre>
 */
public final class ProxyMetrics implements ProxyObserver {
  /** The prefix of per-route metrics. */
  public static final String ROUTE_PREFIX = "gantry.route.";
  /** The prefix of metrics for requests that matched no route. */
  public static final String UNROUTED_PREFIX = "gantry.unrouted.";
  private static final String UNROUTED = "-";

  private final MetricRegistry registry;
  private final Clock clock;
  private final Map<String, RouteMetrics> routes = new ConcurrentHashMap<>();
  private final RouteMetrics unrouted;
  private final Map<Integer, Meter> unroutedRefusals = new ConcurrentHashMap<>();
  private final Map<String, Meter> misdirected = new ConcurrentHashMap<>();

  /** Metrics in {@code registry}, with {@code routeNames} registered at zero. */
  public ProxyMetrics(MetricRegistry registry, Collection<String> routeNames) {
    this(registry, routeNames, Clock.systemUTC());
  }

  /** As {@link #ProxyMetrics(MetricRegistry, Collection)}, with the clock certificate gauges use. */
  public ProxyMetrics(MetricRegistry registry, Collection<String> routeNames, Clock clock) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.unrouted = new RouteMetrics(registry, UNROUTED_PREFIX);
    for (String name : routeNames) {
      route(name);
    }
  }

  /** The registry the metrics live in. */
  public MetricRegistry registry() {
    return registry;
  }

  @Override
  public void onRefused(ProxyExchange exchange, int status, String reason) {
    if (status == 421) {
      String listener = exchange.arrival().listener();
      misdirected(listener == null ? "-" : listener);
    }
    RouteMetrics metrics = metricsOf(exchange);
    if (metrics == unrouted) {
      unroutedRefusals.computeIfAbsent(status, s -> registry.meter(UNROUTED_PREFIX + "refused." + s)).mark();
    } else {
      metrics.refused.mark();
    }
  }

  @Override
  public void onUpstreamFailure(ProxyExchange exchange, int status, Throwable failure) {
    metricsOf(exchange).upstreamErrors.mark();
  }

  @Override
  public void onClientFailure(ProxyExchange exchange, int status, Throwable failure) {
    metricsOf(exchange).clientErrors.mark();
  }

  @Override
  public void onCompleted(ProxyExchange exchange, int status) {
    RouteMetrics metrics = metricsOf(exchange);
    int statusClass = status / 100;
    if (statusClass >= 1 && statusClass <= 5) {
      metrics.responses[statusClass - 1].mark();
    }
    metrics.bytesIn.inc(exchange.bytesIn());
    metrics.bytesOut.inc(exchange.bytesOut());
    // Last: a reader that sees the request counted sees its status and bytes too.
    metrics.requests.update(exchange.elapsedNanos(), TimeUnit.NANOSECONDS);
  }

  /**
   * Counts a request answered 421 Misdirected Request on listener {@code listenerName} (the TLS
   * server name and the Host header disagree): {@code gantry.listener.<name>.misdirected}.
   */
  void misdirected(String listenerName) {
    Meter meter = misdirected.get(listenerName);
    if (meter == null) {
      meter = misdirected.computeIfAbsent(listenerName,
          n -> registry.meter("gantry.listener." + n + ".misdirected"));
    }
    meter.mark();
  }

  /**
   * Registers (or replaces, after a certificate reload) the gauge {@code
   * gantry.tls.certificate.<name>.days-to-expiry}: whole days until {@code notAfter}, negative
   * once expired.
   */
  public void registerCertificateExpiry(String name, Instant notAfter) {
    Objects.requireNonNull(notAfter, "notAfter");
    String metric = "gantry.tls.certificate." + name + ".days-to-expiry";
    registry.remove(metric);
    registry.register(metric, (Gauge<Long>) () -> Duration.between(clock.instant(), notAfter).toDays());
  }

  private RouteMetrics metricsOf(ProxyExchange exchange) {
    return route(exchange.routeName());
  }

  private RouteMetrics route(String name) {
    if (name == null || name.equals(UNROUTED)) {
      return unrouted;
    }
    RouteMetrics metrics = routes.get(name);
    return metrics != null ? metrics : routes.computeIfAbsent(name, n -> new RouteMetrics(registry, ROUTE_PREFIX + n + "."));
  }

  /** One route's metrics, resolved once. */
  private static final class RouteMetrics {
    final Timer requests;
    final Meter[] responses = new Meter[5];
    final Counter bytesIn;
    final Counter bytesOut;
    final Meter upstreamErrors;
    final Meter clientErrors;
    final Meter refused;

    RouteMetrics(MetricRegistry registry, String prefix) {
      // The default reservoir takes a lock per update; every proxied request updates this one.
      requests = registry.timer(prefix + "requests",
          () -> new Timer(LockFreeExponentiallyDecayingReservoir.builder().build()));
      for (int i = 0; i < responses.length; i++) {
        responses[i] = registry.meter(prefix + "responses." + (i + 1) + "xx");
      }
      bytesIn = registry.counter(prefix + "bytes-in");
      bytesOut = registry.counter(prefix + "bytes-out");
      upstreamErrors = registry.meter(prefix + "upstream-errors");
      clientErrors = registry.meter(prefix + "client-errors");
      // Unrouted refusals are split by status instead (gantry.unrouted.refused.<status>).
      refused = prefix.equals(UNROUTED_PREFIX) ? null : registry.meter(prefix + "refused");
    }
  }
}
