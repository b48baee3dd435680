package io.gantry.server;

import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.health.HealthCheckRegistry;
import io.gantry.proxy.ProxyBuilder;
import io.gantry.proxy.RoutingProxyHandler;
import io.gantry.proxy.RoutingProxyServlet;
import io.gantry.proxy.route.RouteTable;
import io.gantry.server.admin.AdminServer;
import io.gantry.server.admin.UpstreamHealthCheck;
import io.gantry.server.config.GantryConfig;
import io.gantry.server.config.ListenerConfig;
import io.gantry.server.connector.Listeners;
import io.gantry.server.redirect.HttpsRedirectHandler;
import io.gantry.server.metrics.ProxyMetrics;
import io.gantry.server.metrics.ServerMetrics;
import io.gantry.server.tls.CertificateInfo;
import io.gantry.server.tls.CertificateStore;
import io.gantry.server.tls.GantrySslContextFactory;
import io.gantry.server.tls.ServerCertificate;
import io.gantry.server.tls.SslContextFactories;
import jakarta.inject.Inject;
import jakarta.inject.Provider;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.RequestLog;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running gantry: one Jetty server with a connector per listener, the redirect of plain
 * listeners that have one, the routing proxy ({@link RoutingProxyHandler}, or the servlet when
 * configured; it does the SNI/Host check too) and the admin connector, assembled from a validated
 * {@link GantryConfig}.
 */
public final class GantryServer {
  private static final Logger LOG = LoggerFactory.getLogger(GantryServer.class);
  /** Idle time a client connection may sit without a byte moving; no total limit. */
  static final Duration CLIENT_IDLE_TIMEOUT = Duration.ofMinutes(5);

  private final GantryConfig config;
  private final MetricRegistry metrics;
  private final HealthCheckRegistry health;
  private final ProxyMetrics proxyMetrics;
  private final Provider<CertificateStore> certificates;
  private final RequestLog accessLog;
  private final Server server;
  private final Map<String, ServerConnector> connectors = new HashMap<>();
  private volatile Consumer<RouteTable> proxyRoutes = r -> {};
  private volatile RouteTable routes;
  private AdminServer admin;
  private GantrySslContextFactory tls;
  private volatile boolean ready;

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
  }

  /** Builds everything and starts listening; throws if a port cannot be bound. */
  public void start() throws Exception {
    long started = System.nanoTime();
    boolean anyTls = config.listeners().stream().anyMatch(ListenerConfig::tls);
    if (anyTls) {
      CertificateStore store = certificates.get();
      tls = SslContextFactories.server(store);
      for (ServerCertificate c : store.certificates()) {
        proxyMetrics.registerCertificateExpiry(c.alias(), c.leaf().getNotAfter().toInstant());
      }
    }
    Map<String, Integer> redirects = new HashMap<>();
    List<String> proxyListeners = new ArrayList<>();
    for (ListenerConfig l : config.listeners()) {
      ListenerConfig.Hsts hsts = l.hsts();
      Listeners.Spec spec = new Listeners.Spec(l.name(), l.host(), l.port(), l.tls() ? tls : null, l.http2(),
          hsts != null && hsts.enabled() ? hsts.maxAge() : null, hsts != null && hsts.includeSubdomains(),
          CLIENT_IDLE_TIMEOUT);
      ServerConnector connector = Listeners.add(server, spec, (factory, name) -> ServerMetrics.instrument(metrics, factory, name));
      if (l.tls()) {
        connector.addBean(ServerMetrics.tlsHandshakes(metrics, l.name()));
      }
      connectors.put(l.name(), connector);
      proxyListeners.add(l.name());
      if (l.redirects()) {
        redirects.put(l.name(), l.redirectTo());
      }
    }

    GracefulHandler graceful = new GracefulHandler(new HttpsRedirectHandler(newProxy(proxyListeners), redirects));
    server.setHandler(graceful);
    server.setStopTimeout(config.shutdownGrace().toMillis());
    server.setStopAtShutdown(true);
    if (accessLog != null) {
      server.setRequestLog(accessLog);
    }

    UpstreamHealthCheck.registerAll(health, config.upstreamsByName());
    if (config.admin().enabled()) {
      admin = AdminServer.builder(metrics, health)
          .host(config.admin().host())
          .port(config.admin().port())
          .routes(() -> routes.toString())
          .ready(() -> ready)
          .install(server);
    }

    server.start();
    ready = true;
    logStartup(Duration.ofNanos(System.nanoTime() - started));
  }

  /**
   * The routing proxy on the configured engine. The handler needs no context: the admin context
   * comes first and claims every request on the admin connector, so only proxy listeners reach it.
   */
  private Handler newProxy(List<String> proxyListeners) {
    if (config.engine() == GantryConfig.Engine.SERVLET) {
      RoutingProxyServlet servlet = configure(RoutingProxyServlet.builder()).build();
      proxyRoutes = servlet::setRoutes;
      ServletContextHandler context = new ServletContextHandler("/");
      context.getServletHandler().setDecodeAmbiguousURIs(true); // gantry's PathNormalizer judges paths
      context.addServlet(servlet.toHolder(), "/*");
      AdminServer.onlyOnConnectors(context, proxyListeners);
      return context;
    }
    RoutingProxyHandler handler = configure(RoutingProxyHandler.builder()).build();
    proxyRoutes = handler::setRoutes;
    return handler;
  }

  private <B extends ProxyBuilder<B, ?>> B configure(B builder) {
    return builder.routes(routes)
        .observer(proxyMetrics)
        .forwardedHeaders(config.forwardedHeaders())
        .maxQueuedPerUpstream(config.maxQueuedPerUpstream());
  }

  private void logStartup(Duration took) {
    for (ListenerConfig l : config.listeners()) {
      ServerConnector c = connectors.get(l.name());
      String scheme = l.tls() ? "https" : "http";
      String host = l.host() == null || l.host().isEmpty() ? "0.0.0.0" : l.host();
      LOG.info("listener {} on {}://{}:{}{}", l.name(), scheme, host, c.getLocalPort(),
          l.tls() ? (l.http2() ? " (TLS 1.2+, h2 and http/1.1)" : " (TLS 1.2+, http/1.1)") : l.redirects() ? " (redirects to https port " + l.redirectTo() + ")" : "");
    }
    if (tls != null) {
      Instant now = Instant.now();
      CertificateStore store = tls.certificateStore();
      for (ServerCertificate c : store.certificates()) {
        LOG.info("certificate {}{}", CertificateInfo.of(c).describe(now),
            c == store.defaultCertificate() ? " (default for clients without SNI)" : "");
      }
      store.warnings().forEach(w -> LOG.warn("{}", w));
    }
    LOG.info("routes ({}, {} engine):", routes.routes().size(), config.engine().name().toLowerCase(java.util.Locale.ROOT));
    routes.toString().lines().forEach(line -> LOG.info("{}", line));
    if (admin != null) {
      LOG.info("admin on http://{}:{} (/metrics /metrics/prometheus /healthcheck /ping /threads /routes /ready)",
          config.admin().host(), admin.connector().getLocalPort());
    }
    LOG.info("gantry started in {} ms", took.toMillis());
  }

  /** Stops accepting and lets in-flight exchanges finish for up to the shutdown grace. */
  public void stop() throws Exception {
    ready = false;
    try {
      server.stop();
    } catch (java.util.concurrent.TimeoutException e) {
      // Jetty stops anyway; the grace only bounds how long in-flight exchanges were given.
      LOG.warn("in-flight requests still running after the shutdown grace of {}; they were cut off",
          config.shutdownGrace());
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
    proxyRoutes.accept(newRoutes);
  }
}
