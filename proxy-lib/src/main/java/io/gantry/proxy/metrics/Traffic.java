package io.gantry.proxy.metrics;

import com.codahale.metrics.Counter;
import com.codahale.metrics.LockFreeExponentiallyDecayingReservoir;
import com.codahale.metrics.Meter;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import io.gantry.proxy.ProxyExchange;
import io.gantry.proxy.Refusal;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** The metrics of one route, one upstream, or the unrouted requests, resolved once. */
final class Traffic {
  private final MetricRegistry registry;
  private final String prefix;
  final Timer requests;
  final Meter[] responses = new Meter[5];
  final Counter bytesIn;
  final Counter bytesOut;
  final Meter upstreamErrors;
  final Meter clientErrors;
  final Meter retries;
  final Meter instanceOutages;
  final Meter refused;
  private final Map<Refusal, Meter> refusedByKind = new ConcurrentHashMap<>();

  Traffic(MetricRegistry registry, String prefix) {
    this.registry = registry;
    this.prefix = prefix;
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
    retries = registry.meter(prefix + "retries");
    instanceOutages = prefix.startsWith(ProxyMetrics.UPSTREAM_PREFIX) ? registry.meter(prefix + "instance-outages") : null;
    // Unrouted refusals are split by status instead (gantry.unrouted.refused.<status>); upstreams
    // never see a refused request.
    refused = prefix.startsWith(ProxyMetrics.ROUTE_PREFIX) ? registry.meter(prefix + "refused") : null;
  }

  Meter refusedFor(Refusal kind) {
    Meter meter = refusedByKind.get(kind);
    return meter != null ? meter
        : refusedByKind.computeIfAbsent(kind, k -> registry.meter(prefix + "refused." + k.label()));
  }

  void completed(ProxyExchange exchange, int status, long nanos) {
    int statusClass = status / 100;
    if (statusClass >= 1 && statusClass <= 5) {
      responses[statusClass - 1].mark();
    }
    bytesIn.inc(exchange.bytesIn());
    bytesOut.inc(exchange.bytesOut());
    // Last: a reader that sees the request counted sees its status and bytes too.
    requests.update(nanos, TimeUnit.NANOSECONDS);
  }
}
