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
import io.gantry.server.config.GantryConfig;
import io.gantry.server.config.ListenerConfig;
import io.gantry.server.connector.Http2RequestBodies;
import io.gantry.server.connector.InFlightRequests;
import io.gantry.server.connector.Listeners;
import io.gantry.server.connector.WorkerThreads;
import io.gantry.server.metrics.ServerMetrics;
import io.gantry.server.redirect.HttpsRedirectHandler;
import io.gantry.server.reload.ConfigSwitch;
import io.gantry.server.reload.ReloadRefusedException;
import io.gantry.server.reload.ReloadTarget;
import io.gantry.server.reload.Reloader;
import io.gantry.server.tls.CertificateStore;
import io.gantry.server.tls.GantrySslContextFactory;
import io.gantry.server.tls.HandshakeCrypto;
import io.gantry.server.tls.SslContextFactories;
import io.gantry.server.tls.TlsProvider;
import jakarta.inject.Inject;
import jakarta.inject.Provider;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.RequestLog;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running gantry: one Jetty server with a connector per listener, the redirect of plain
 * listeners that have one, the routing proxy ({@link RoutingProxyHandler}, or the servlet when
 * configured; it does the SNI/Host check too) and the admin connector, assembled from a validated
 * {@link GantryConfig}.
 *
 * <p>A running server takes a changed configuration with {@link #apply(GantryConfig)} (through its
 * {@link #reloader()}: SIGHUP, the admin endpoint's {@code POST /config/reload}); its {@link
 * ConfigSwitch} holds what is served now and does the switch.
 */
public final class GantryServer implements ReloadTarget {
  private static final Logger LOG = LoggerFactory.getLogger(GantryServer.class);
  /** Idle time a client connection may sit without a byte moving; no total limit. */
  static final Duration CLIENT_IDLE_TIMEOUT = Duration.ofMinutes(5);

  private final ConfigSwitch live;
  private final MetricRegistry metrics;
  private final HealthCheckRegistry health;
  private final ProxyMetrics proxyMetrics;
  private final Provider<CertificateStore> certificates;
  private final RequestLog accessLog;
  private final Server server;
  private final Map<String, ServerConnector> connectors = new ConcurrentHashMap<>();
  private final Reloader reloader;
  private InFlightRequests inFlight;
  /** The routing proxy, on either engine: set once the server is built. */
  private RoutingProxy proxy;
  private AdminServer admin;
  private volatile boolean ready;
  /** The pool on the servlet engine, whose proxy parks threads: fewer cost it throughput (docs/performance.md). */
  private static final int SERVLET_THREADS = 256;
  private final AtomicBoolean stopping = new AtomicBoolean();
  private final Thread shutdownHook = new Thread(this::stopOnSignal, "gantry-stop");

  @Inject
  GantryServer(GantryConfig config, MetricRegistry metrics, HealthCheckRegistry health, ProxyMetrics proxyMetrics,
      Provider<CertificateStore> certificates, RequestLog accessLog) {
    this.live = new ConfigSwitch(config);
    this.metrics = metrics;
    this.health = health;
    this.proxyMetrics = proxyMetrics;
    this.certificates = certificates;
    this.accessLog = accessLog;
    this.server = new Server(ServerMetrics.threadPool(metrics, 8,
        config.maxThreads() == GantryConfig.AUTO_THREADS ? SERVLET_THREADS : config.maxThreads()));
    this.reloader = new Reloader(this, metrics);
  }

  /** The server's thread pool size at most, as configured or (max-threads = auto) as worked out at start. */
  public int maxThreads() {
    return ((QueuedThreadPool) server.getThreadPool()).getMaxThreads();
  }

  /** Reloads this server from its configuration file: SIGHUP, the admin endpoint, tests. */
  public Reloader reloader() {
    return reloader;
  }

  /** Builds everything and starts listening; throws if a port cannot be bound. */
  public void start() throws Exception {
    long started = System.nanoTime();
    GantryConfig config = live.config();
    GantrySslContextFactory tls = null;
    boolean anyTls = config.listeners().stream().anyMatch(ListenerConfig::tls);
    if (anyTls) {
      CertificateStore store = certificates.get();
      tls = SslContextFactories.server(store, TlsProvider.select(config.tls().provider()));
      ServerMetrics.registerCertificateExpiry(metrics, null, store);
    }
    for (ListenerConfig l : config.listeners()) {
      ServerConnector connector = newConnector(l, tls);
      server.addConnector(connector);
      connectors.put(l.name(), connector);
    }

    HttpsRedirectHandler redirects = new HttpsRedirectHandler(new Http2RequestBodies(newProxy()), config.httpsRedirects());
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
          .routes(() -> live.routes() + UpstreamHealthCheck.describe(live.config().upstreamsByName(), proxy::instances))
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

    WorkerThreads workers = config.maxThreads() == GantryConfig.AUTO_THREADS && config.engine() == GantryConfig.Engine.HANDLER
        ? new WorkerThreads((QueuedThreadPool) server.getThreadPool()) : null;
    if (workers != null) {
      workers.fit(WorkerThreads.leases(List.of(server.getConnectors()), config.upstreamsByName().size()));
    }
    live.started(new ConfigSwitch.Running(server, connectors, this::newConnector, proxy, proxyMetrics, redirects, inFlight,
        metrics, health, workers), tls);
    server.start();
    ready = true;
    reloader.startWatching();
    StartupLog.log(config, connectors, tls, live.routes(), admin, maxThreads(),
        Duration.ofNanos(System.nanoTime() - started));
    if (tls != null && !tls.provider().isConscrypt()) {
      prepareHandshakeCrypto();
    }
  }

  /**
   * BouncyCastle's ECDSA and X25519 for the JDK's TLS handshakes, loaded once the listeners are
   * up: its jar is signed, and the JVM verifies a signed jar at its first class (~1 s on one core).
   */
  private static void prepareHandshakeCrypto() {
    long since = System.nanoTime();
    Thread prepare = new Thread(() -> {
      try {
        String crypto = HandshakeCrypto.prepare();
        LOG.info("TLS handshakes from now on: {} (prepared in {} ms after start)", crypto,
            Duration.ofNanos(System.nanoTime() - since).toMillis());
      } catch (RuntimeException | LinkageError e) {
        LOG.warn("TLS handshakes stay on the JDK's own ECDSA and X25519: {}", e.toString());
      }
    }, "gantry-tls-prepare");
    prepare.setDaemon(true);
    prepare.start();
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

  /**
   * The routing proxy on the configured engine. Neither needs a context restricted to the proxy
   * listeners: the admin context comes first and claims every request on the admin connector, and
   * the servlet context declines that connector too, so listeners added by a reload need no change.
   */
  private Handler newProxy() {
    if (live.config().engine() == GantryConfig.Engine.SERVLET) {
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
    GantryConfig config = live.config();
    return builder.routes(live.routes())
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
    GantryConfig config = live.config();
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
    return live.routes();
  }

  @Override
  public GantryConfig config() {
    return live.config();
  }

  /** Switches this running server to {@code next}, all of it or nothing ({@link ConfigSwitch#apply}). */
  @Override
  public List<String> apply(GantryConfig next) throws ReloadRefusedException {
    return live.apply(next);
  }
}
