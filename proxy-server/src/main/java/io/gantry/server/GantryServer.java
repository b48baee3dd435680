package io.gantry.server;

import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.health.HealthCheckRegistry;
import io.gantry.proxy.ProxyBuilder;
import io.gantry.proxy.RoutingProxy;
import io.gantry.proxy.RoutingProxyHandler;
import io.gantry.proxy.RoutingProxyServlet;
import io.gantry.proxy.address.AddressRanges;
import io.gantry.proxy.metrics.ProxyMetrics;
import io.gantry.proxy.route.RouteTable;
import io.gantry.server.admin.AdminServer;
import io.gantry.server.admin.NotOnAdmin;
import io.gantry.server.admin.UpstreamHealthCheck;
import io.gantry.server.config.ConfigLoader;
import io.gantry.server.config.ConfigProblem;
import io.gantry.server.config.GantryConfig;
import io.gantry.server.config.ListenerConfig;
import io.gantry.server.connector.Http2RequestBodies;
import io.gantry.server.connector.InFlightRequests;
import io.gantry.server.connector.Listeners;
import io.gantry.server.metrics.ServerMetrics;
import io.gantry.server.redirect.HttpsRedirectHandler;
import io.gantry.server.reload.ConfigDiff;
import io.gantry.server.reload.ReloadRefusedException;
import io.gantry.server.reload.ReloadTarget;
import io.gantry.server.reload.Reloader;
import io.gantry.server.tls.CertificateStore;
import io.gantry.server.tls.ConfiguredCertificates;
import io.gantry.server.tls.GantrySslContextFactory;
import io.gantry.server.tls.SslContextFactories;
import jakarta.inject.Inject;
import jakarta.inject.Provider;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.RequestLog;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running gantry: one Jetty server with a connector per listener, the redirect of plain
 * listeners that have one, the routing proxy ({@link RoutingProxyHandler}, or the servlet when
 * configured; it does the SNI/Host check too) and the admin connector, assembled from a validated
 * {@link GantryConfig}.
 *
 * <p>A running server takes a changed configuration with {@link #apply(GantryConfig)} (through its
 * {@link #reloader()}: SIGHUP, the admin endpoint's {@code POST /config/reload}): certificates are
 * loaded and new ports bound before anything switches; then routes, certificates and listeners
 * switch, and listeners no longer configured stop accepting and close once their requests are done.
 */
public final class GantryServer implements ReloadTarget {
  private static final Logger LOG = LoggerFactory.getLogger(GantryServer.class);
  /** Idle time a client connection may sit without a byte moving; no total limit. */
  static final Duration CLIENT_IDLE_TIMEOUT = Duration.ofMinutes(5);

  /** How long a removed listener's in-flight requests may take before its connector is closed anyway. */
  static final Duration REMOVED_LISTENER_DRAIN = Duration.ofHours(1);

  private volatile GantryConfig config;
  private final MetricRegistry metrics;
  private final HealthCheckRegistry health;
  private final ProxyMetrics proxyMetrics;
  private final Provider<CertificateStore> certificates;
  private final RequestLog accessLog;
  private final Server server;
  private final Map<String, ServerConnector> connectors = new ConcurrentHashMap<>();
  private final Reloader reloader;
  private HttpsRedirectHandler redirects;
  private InFlightRequests inFlight;
  /** The routing proxy, on either engine: set once the server is built. */
  private RoutingProxy proxy;
  private volatile RouteTable routes;
  private AdminServer admin;
  private GantrySslContextFactory tls;
  private volatile boolean ready;
  private final AtomicBoolean stopping = new AtomicBoolean();
  private final Thread shutdownHook = new Thread(this::stopOnSignal, "gantry-stop");

  @Inject
  GantryServer(GantryConfig config, MetricRegistry metrics, HealthCheckRegistry health, ProxyMetrics proxyMetrics,
      Provider<CertificateStore> certificates, RequestLog accessLog) {
    this.config = config;
    this.metrics = metrics;
    this.health = health;
    this.proxyMetrics = proxyMetrics;
    this.certificates = certificates;
    this.accessLog = accessLog;
    this.routes = config.routeTable();
    this.server = new Server(ServerMetrics.threadPool(metrics, 8, config.maxThreads()));
    this.reloader = new Reloader(this, metrics);
  }

  /** Reloads this server from its configuration file: SIGHUP, the admin endpoint, tests. */
  public Reloader reloader() {
    return reloader;
  }

  /** Builds everything and starts listening; throws if a port cannot be bound. */
  public void start() throws Exception {
    long started = System.nanoTime();
    boolean anyTls = config.listeners().stream().anyMatch(ListenerConfig::tls);
    if (anyTls) {
      CertificateStore store = certificates.get();
      tls = SslContextFactories.server(store);
      ServerMetrics.registerCertificateExpiry(metrics, null, store);
    }
    for (ListenerConfig l : config.listeners()) {
      ServerConnector connector = newConnector(l, tls);
      server.addConnector(connector);
      connectors.put(l.name(), connector);
    }

    redirects = new HttpsRedirectHandler(new Http2RequestBodies(newProxy()), redirectsOf(config));
    inFlight = new InFlightRequests(redirects); // also what Server.stop() waits for, up to the grace
    server.setHandler(inFlight);
    server.setStopTimeout(config.shutdownGrace().toMillis());
    // Not Jetty's stop-at-shutdown, which calls Server.stop() at once: a SIGTERM takes gantry
    // through stop(), /ready first.
    Runtime.getRuntime().addShutdownHook(shutdownHook);
    if (accessLog != null) {
      server.setRequestLog(accessLog);
    }

    UpstreamHealthCheck.registerAll(health, config.upstreamsByName(), proxy::instances);
    if (config.admin().enabled()) {
      AdminServer.Builder adminBuilder = AdminServer.builder(metrics, health)
          .host(config.admin().host())
          .port(config.admin().port())
          .routes(() -> routes + UpstreamHealthCheck.describe(config.upstreamsByName(), proxy::instances))
          .ready(() -> ready)
          .config(reloader);
      if (!config.admin().allowFrom().isEmpty()) {
        adminBuilder.allowFrom(AddressRanges.parse(config.admin().allowFrom(), "allowFrom"));
      }
      if (config.admin().basicAuth() != null) {
        adminBuilder.basicAuth(config.admin().basicAuth().user(), config.admin().basicAuth().password());
      }
      admin = adminBuilder.install(server);
    }

    server.start();
    ready = true;
    reloader.startWatching();
    StartupLog.log(config, connectors, tls, routes, admin, Duration.ofNanos(System.nanoTime() - started));
  }

  private ServerConnector newConnector(ListenerConfig l, GantrySslContextFactory tls) {
    ListenerConfig.Hsts hsts = l.hsts();
    Listeners.Spec spec = new Listeners.Spec(l.name(), l.host(), l.port(), l.tls() ? tls : null, l.http2(),
        hsts != null && hsts.enabled() ? hsts.maxAge() : null, hsts != null && hsts.includeSubdomains(),
        CLIENT_IDLE_TIMEOUT, l.proxyProtocol(), l.limits());
    ServerConnector connector = Listeners.create(server, spec, ServerMetrics.listeners(metrics));
    if (l.tls()) {
      connector.addBean(ServerMetrics.tlsHandshakes(metrics, l.name()));
    }
    return connector;
  }

  private static Map<String, Integer> redirectsOf(GantryConfig config) {
    Map<String, Integer> redirects = new HashMap<>();
    for (ListenerConfig l : config.listeners()) {
      if (l.redirects()) {
        redirects.put(l.name(), l.redirectTo());
      }
    }
    return redirects;
  }

  /**
   * The routing proxy on the configured engine. Neither needs a context restricted to the proxy
   * listeners: the admin context comes first and claims every request on the admin connector, and
   * the servlet context declines that connector too, so listeners added by a reload need no change.
   */
  private Handler newProxy() {
    if (config.engine() == GantryConfig.Engine.SERVLET) {
      RoutingProxyServlet servlet = configure(RoutingProxyServlet.builder()).build();
      proxy = servlet;
      ServletContextHandler context = new ServletContextHandler("/");
      context.getServletHandler().setDecodeAmbiguousURIs(true); // gantry's PathNormalizer judges paths
      context.addServlet(servlet.toHolder(), "/*");
      return new NotOnAdmin(context);
    }
    RoutingProxyHandler handler = configure(RoutingProxyHandler.builder()).build();
    proxy = handler;
    return handler;
  }

  private <B extends ProxyBuilder<B, ?>> B configure(B builder) {
    return builder.routes(routes)
        .observer(proxyMetrics)
        .forwardedHeaders(config.forwardedHeaders())
        .maxQueuedPerUpstream(config.maxQueuedPerUpstream())
        .clientLimits(config.clientLimits().toLimits());
  }

  /**
   * Stops gracefully (also on SIGTERM): {@code /ready} answers 503 and HTTP/1.1 responses close
   * their connections for the {@code shutdown-delay} while everything is still served; then gantry
   * stops accepting, serves what still arrives on open connections, and lets in-flight exchanges
   * finish for up to the {@code shutdown-grace}.
   */
  public void stop() throws Exception {
    if (!stopping.compareAndSet(false, true)) {
      return;
    }
    if (Thread.currentThread() != shutdownHook) {
      try {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
      } catch (IllegalStateException | IllegalArgumentException e) {
        // the JVM is already shutting down, or the hook was never added (start failed early)
      }
    }
    ready = false;
    reloader.close();
    Duration delay = config.shutdownDelay();
    if (!delay.isZero() && server.isStarted()) {
      LOG.info("stopping: not ready, still serving for the shutdown delay of {}", delay);
      inFlight.closeConnections();
      Thread.sleep(delay.toMillis());
    }
    try {
      server.stop();
    } catch (java.util.concurrent.TimeoutException e) {
      // Jetty stops anyway; the grace only bounds how long in-flight exchanges were given.
      LOG.warn("in-flight requests still running after the shutdown grace of {}; they were cut off",
          config.shutdownGrace());
    }
  }

  private void stopOnSignal() {
    try {
      stop();
    } catch (Exception e) {
      LOG.warn("stopping failed: {}", e.toString());
    }
  }

  public void join() throws InterruptedException {
    server.join();
  }

  /** The bound port of a listener (useful with port 0). */
  public int port(String listenerName) {
    return connectors.get(listenerName).getLocalPort();
  }

  /** The bound admin port, or -1 without admin. */
  public int adminPort() {
    return admin == null ? -1 : admin.connector().getLocalPort();
  }

  /** The route table in use. */
  public RouteTable routes() {
    return routes;
  }

  /** Replaces the route table for new requests (the reload hook). */
  public void setRoutes(RouteTable newRoutes) {
    this.routes = newRoutes;
    proxyMetrics.register(newRoutes); // new routes and upstreams at zero before their first request
    proxy.setRoutes(newRoutes);
  }

  @Override
  public GantryConfig config() {
    return config;
  }

  /**
   * Switches this running server to {@code next}, all of it or nothing. First what can fail:
   * changes that need a restart are refused, certificates are loaded, new ports bound (and closed
   * again if anything fails). Then the switch: certificates for new handshakes, routes for new
   * requests (requests in flight finish on the table they started with), redirects, new listeners
   * start accepting. Last, removed listeners stop accepting and close once their requests are done;
   * listeners that stay are never closed.
   */
  @Override
  public synchronized List<String> apply(GantryConfig next) throws ReloadRefusedException {
    if (!server.isStarted()) {
      throw new IllegalStateException("server: " + server.getState() + " (expected: started)");
    }
    GantryConfig running = config;
    ConfigDiff diff = ConfigDiff.between(running, next);
    if (!diff.needsRestart().isEmpty()) {
      throw new ReloadRefusedException(ReloadRefusedException.Reason.NEEDS_RESTART, diff.needsRestart());
    }
    List<String> changes = new ArrayList<>(diff.changes());
    List<ServerConnector> retiring = new ArrayList<>();
    for (ListenerConfig l : diff.removed()) {
      ServerConnector connector = connectors.get(l.name());
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
    GantrySslContextFactory tlsForNew = tls != null || store == null ? tls : SslContextFactories.server(store);

    Map<ListenerConfig, ServerConnector> opened = new java.util.LinkedHashMap<>();
    CertificateStore previousStore = tls == null ? null : tls.certificateStore();
    RouteTable previousRoutes = routes;
    boolean switched = false;
    try {
      for (ListenerConfig l : diff.added()) {
        ServerConnector connector = newConnector(l, tlsForNew);
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
      switched = true;
      RouteTable nextRoutes = next.routeTable();
      routes = nextRoutes;
      proxyMetrics.register(nextRoutes, next.upstreamsByName());
      proxy.setRoutes(nextRoutes);
      redirects.setRedirects(redirectsOf(next));
      for (Map.Entry<ListenerConfig, ServerConnector> e : opened.entrySet()) {
        server.addConnector(e.getValue());
        server.manage(e.getValue()); // stopped with the server, like the connectors it started with
        e.getValue().start();
        connectors.put(e.getKey().name(), e.getValue());
      }
    } catch (ReloadRefusedException | RuntimeException e) {
      rollBack(opened, switched, previousStore, previousRoutes);
      throw e;
    } catch (Exception e) {
      rollBack(opened, switched, previousStore, previousRoutes);
      throw invalid(next, "gantry.listeners", "a listener could not start: " + e);
    }

    if (tls == null && tlsForNew != null) {
      tls = tlsForNew;
    }
    if (store != null) {
      ServerMetrics.registerCertificateExpiry(metrics, previousStore, store);
      changes.add("certificates: " + store.certificates().size() + " loaded");
      store.warnings().forEach(w -> LOG.warn("{}", w));
    }
    for (String name : running.upstreams().keySet()) {
      health.unregister(UpstreamHealthCheck.PREFIX + name);
    }
    UpstreamHealthCheck.registerAll(health, next.upstreamsByName(), proxy::instances);
    server.setStopTimeout(next.shutdownGrace().toMillis());
    config = next;
    for (ServerConnector connector : retiring) {
      connectors.remove(connector.getName(), connector);
      retire(connector);
    }
    for (ListenerConfig l : diff.added()) {
      LOG.info("listener {} on {}://{}:{}", l.name(), l.tls() ? "https" : "http",
          l.host() == null || l.host().isEmpty() ? "0.0.0.0" : l.host(), connectors.get(l.name()).getLocalPort());
    }
    return changes;
  }

  private void rollBack(Map<ListenerConfig, ServerConnector> opened, boolean switched, CertificateStore previousStore,
      RouteTable previousRoutes) {
    for (ServerConnector connector : opened.values()) {
      try {
        connector.stop();
      } catch (Exception ignored) {
        // closing what this reload opened; the reload's own error is the one reported
      }
      connector.close();
      server.removeConnector(connector);
    }
    if (switched) {
      routes = previousRoutes;
      proxy.setRoutes(previousRoutes);
      redirects.setRedirects(redirectsOf(config));
      if (tls != null && previousStore != null && tls.certificateStore() != previousStore) {
        try {
          tls.reload(previousStore);
        } catch (Exception e) {
          LOG.error("could not restore the previous certificates: {}", e.toString());
        }
      }
    }
  }

  /**
   * Stops a removed listener gracefully: it stops accepting now (its port refuses connections),
   * its requests in flight finish, then the connector (and its idle connections) is closed.
   */
  private void retire(ServerConnector connector) {
    connector.shutdown();
    Thread drain = new Thread(() -> {
      long deadline = System.nanoTime() + REMOVED_LISTENER_DRAIN.toNanos();
      try {
        while (inFlight.inFlight(connector) > 0 && System.nanoTime() < deadline && server.isRunning()) {
          Thread.sleep(50);
        }
        connector.stop();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (Exception e) {
        LOG.warn("listener {}: stopping its connector failed: {}", connector.getName(), e.toString());
      } finally {
        server.removeConnector(connector);
        inFlight.forget(connector);
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
