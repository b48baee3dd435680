package io.gantry.server.reload;

import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.health.HealthCheckRegistry;
import io.gantry.proxy.RoutingProxy;
import io.gantry.proxy.metrics.ProxyMetrics;
import io.gantry.proxy.route.RouteTable;
import io.gantry.server.admin.UpstreamHealthCheck;
import io.gantry.server.config.ConfigLoader;
import io.gantry.server.config.ConfigProblem;
import io.gantry.server.config.GantryConfig;
import io.gantry.server.config.ListenerConfig;
import io.gantry.server.connector.InFlightRequests;
import io.gantry.server.connector.WorkerThreads;
import io.gantry.server.metrics.ServerMetrics;
import io.gantry.server.redirect.HttpsRedirectHandler;
import io.gantry.server.tls.CertificateStore;
import io.gantry.server.tls.ConfiguredCertificates;
import io.gantry.server.tls.GantrySslContextFactory;
import io.gantry.server.tls.SslContextFactories;
import io.gantry.server.tls.TlsProvider;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a running server serves now (configuration, route table, TLS factory) and the switch to a
 * reloaded configuration, all of it or nothing. The server builds its parts from {@link #config()}
 * and {@link #routes()}, then hands them over with {@link #started}; from then on {@link #apply}
 * switches them.
 */
public final class ConfigSwitch {
  private static final Logger LOG = LoggerFactory.getLogger(ConfigSwitch.class);
  /** How long a removed listener's in-flight requests may take before its connector is closed anyway. */
  static final Duration REMOVED_LISTENER_DRAIN = Duration.ofHours(1);

  /**
   * The parts of a running server a switch works on; they live as long as the server.
   *
   * @param connectors the server's connectors by listener name, kept up to date by the switch
   * @param newConnector a connector for a listener, with the TLS factory its handshakes use
   * @param workers the pool sizing of {@code max-threads = auto} on the handler engine, otherwise null
   */
  public record Running(Server server, Map<String, ServerConnector> connectors,
      BiFunction<ListenerConfig, GantrySslContextFactory, ServerConnector> newConnector, RoutingProxy proxy,
      ProxyMetrics proxyMetrics, HttpsRedirectHandler redirects, InFlightRequests inFlight, MetricRegistry metrics,
      HealthCheckRegistry health, WorkerThreads workers) {}

  private volatile GantryConfig config;
  private volatile RouteTable routes;
  /** Null until a TLS listener exists: made by the first configuration, or the first reload, that has one. */
  private GantrySslContextFactory tls;
  private Running running;

  public ConfigSwitch(GantryConfig config) {
    this.config = config;
    this.routes = config.routeTable();
  }

  /** The configuration serving now. */
  public GantryConfig config() {
    return config;
  }

  /** The route table serving new requests. */
  public RouteTable routes() {
    return routes;
  }

  /** The server is up with these parts: from now on {@link #apply} may switch them. */
  public synchronized void started(Running parts, GantrySslContextFactory tlsFactory) {
    this.running = parts;
    this.tls = tlsFactory;
  }

  /**
   * Switches the running server to {@code next}, all of it or nothing. First what can fail:
   * changes that need a restart are refused, certificates are loaded, new ports bound (and closed
   * again if anything fails). Then the switch: certificates for new handshakes, routes for new
   * requests (requests in flight finish on the table they started with), redirects, new listeners
   * start accepting. Last, removed listeners stop accepting and close once their requests are done;
   * listeners that stay are never closed.
   *
   * @return what changed, one line each
   */
  public synchronized List<String> apply(GantryConfig next) throws ReloadRefusedException {
    Running r = running;
    if (r == null || !r.server().isStarted()) {
      throw new IllegalStateException("server: " + (r == null ? "not started" : r.server().getState()) + " (expected: started)");
    }
    GantryConfig current = config;
    ConfigDiff diff = ConfigDiff.between(current, next);
    if (!diff.needsRestart().isEmpty()) {
      throw new ReloadRefusedException(ReloadRefusedException.Reason.NEEDS_RESTART, diff.needsRestart());
    }
    List<String> changes = new ArrayList<>(diff.changes());
    List<ServerConnector> retiring = new ArrayList<>();
    for (ListenerConfig l : diff.removed()) {
      ServerConnector connector = r.connectors().get(l.name());
      if (connector != null) {
        retiring.add(connector);
      }
    }

    CertificateStore store = null;
    if (next.listeners().stream().anyMatch(ListenerConfig::tls)) {
      try {
        store = ConfiguredCertificates.load(next);
      } catch (RuntimeException e) {
        throw invalid(next, "gantry.tls", e.getMessage());
      }
    }
    GantrySslContextFactory tlsForNew = tls != null || store == null ? tls
        : SslContextFactories.server(store, TlsProvider.select(next.tls().provider())); // a restart-only key

    Map<ListenerConfig, ServerConnector> opened = new LinkedHashMap<>();
    CertificateStore previousStore = tls == null ? null : tls.certificateStore();
    RouteTable previousRoutes = routes;
    boolean switched = false;
    try {
      for (ListenerConfig l : diff.added()) {
        ServerConnector connector = r.newConnector().apply(l, tlsForNew);
        try {
          connector.open();
        } catch (Exception e) {
          throw new ReloadRefusedException(ReloadRefusedException.Reason.INVALID, List.of(ConfigDiff.listenerProblem(next, l,
              "port " + l.port() + " on " + (l.host() == null ? "0.0.0.0" : l.host()) + " cannot be bound: " + e.getMessage()
                  + " (the running configuration keeps serving)")));
        }
        opened.put(l, connector);
      }
      if (store != null && tls != null) {
        try {
          tls.reload(store);
        } catch (Exception e) {
          throw invalid(next, "gantry.tls", "the certificates cannot be served: " + e.getMessage());
        }
      }
      if (r.workers() != null) { // before the new listeners and upstream clients lease their threads
        r.workers().fit(WorkerThreads.leases(opened.values(), next.upstreamsByName().size()));
      }
      switched = true;
      RouteTable nextRoutes = next.routeTable();
      routes = nextRoutes;
      r.proxyMetrics().register(nextRoutes, next.upstreamsByName());
      r.proxy().setRoutes(nextRoutes);
      r.redirects().setRedirects(next.httpsRedirects());
      for (Map.Entry<ListenerConfig, ServerConnector> e : opened.entrySet()) {
        r.server().addConnector(e.getValue());
        r.server().manage(e.getValue()); // stopped with the server, like the connectors it started with
        e.getValue().start();
        r.connectors().put(e.getKey().name(), e.getValue());
      }
      if (r.workers() != null) { // exact again: the count above assumed a new client for every upstream
        r.workers().fit(0);
      }
    } catch (ReloadRefusedException | RuntimeException e) {
      rollBack(r, opened, switched, previousStore, previousRoutes);
      throw e;
    } catch (Exception e) {
      rollBack(r, opened, switched, previousStore, previousRoutes);
      throw invalid(next, "gantry.listeners", "a listener could not start: " + e);
    }

    if (tls == null && tlsForNew != null) {
      tls = tlsForNew;
    }
    if (store != null) {
      ServerMetrics.registerCertificateExpiry(r.metrics(), previousStore, store);
      changes.add("certificates: " + store.certificates().size() + " loaded");
      store.warnings().forEach(w -> LOG.warn("{}", w));
    }
    for (String name : current.upstreams().keySet()) {
      r.health().unregister(UpstreamHealthCheck.PREFIX + name);
    }
    UpstreamHealthCheck.registerAll(r.health(), next.upstreamsByName(), r.proxy()::instances);
    r.server().setStopTimeout(next.shutdownGrace().toMillis());
    config = next;
    for (ServerConnector connector : retiring) {
      r.connectors().remove(connector.getName(), connector);
      retire(r, connector);
    }
    for (ListenerConfig l : diff.added()) {
      LOG.info("listener {} on {}://{}:{}", l.name(), l.tls() ? "https" : "http",
          l.host() == null || l.host().isEmpty() ? "0.0.0.0" : l.host(), r.connectors().get(l.name()).getLocalPort());
    }
    return changes;
  }

  private void rollBack(Running r, Map<ListenerConfig, ServerConnector> opened, boolean switched,
      CertificateStore previousStore, RouteTable previousRoutes) {
    for (ServerConnector connector : opened.values()) {
      try {
        connector.stop();
      } catch (Exception ignored) {
        // closing what this reload opened; the reload's own error is the one reported
      }
      connector.close();
      r.server().removeConnector(connector);
    }
    if (switched) {
      routes = previousRoutes;
      r.proxy().setRoutes(previousRoutes);
      r.redirects().setRedirects(config.httpsRedirects());
      if (tls != null && previousStore != null && tls.certificateStore() != previousStore) {
        try {
          tls.reload(previousStore);
        } catch (Exception e) {
          LOG.error("could not restore the previous certificates: {}", e.toString());
        }
      }
    }
    if (r.workers() != null) { // back to what runs: the refused configuration leases nothing any more
      r.workers().fit(0);
    }
  }

  /**
   * Stops a removed listener gracefully: it stops accepting now (its port refuses connections),
   * its requests in flight finish, then the connector (and its idle connections) is closed.
   */
  private static void retire(Running r, ServerConnector connector) {
    connector.shutdown();
    Thread drain = new Thread(() -> {
      long deadline = System.nanoTime() + REMOVED_LISTENER_DRAIN.toNanos();
      try {
        while (r.inFlight().inFlight(connector) > 0 && System.nanoTime() < deadline && r.server().isRunning()) {
          Thread.sleep(50);
        }
        connector.stop();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (Exception e) {
        LOG.warn("listener {}: stopping its connector failed: {}", connector.getName(), e.toString());
      } finally {
        r.server().removeConnector(connector);
        r.inFlight().forget(connector);
        LOG.info("listener {} on port {} closed", connector.getName(), connector.getPort());
      }
    }, "gantry-retire-" + connector.getName());
    drain.setDaemon(true);
    drain.start();
  }

  private static ReloadRefusedException invalid(GantryConfig next, String key, String message) {
    return new ReloadRefusedException(ReloadRefusedException.Reason.INVALID, List.of(new ConfigProblem(
        next.file().toString(), ConfigLoader.lineOf(next.file(), key), key, message, ConfigProblem.Severity.ERROR)));
  }
}
