package io.gantry.server.metrics;

import com.codahale.metrics.Gauge;
import com.codahale.metrics.Meter;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.jvm.BufferPoolMetricSet;
import com.codahale.metrics.jvm.ClassLoadingGaugeSet;
import com.codahale.metrics.jvm.GarbageCollectorMetricSet;
import com.codahale.metrics.jvm.MemoryUsageGaugeSet;
import com.codahale.metrics.jvm.ThreadStatesGaugeSet;
import io.dropwizard.metrics.jetty12.InstrumentedConnectionFactory;
import io.dropwizard.metrics.jetty12.InstrumentedQueuedThreadPool;
import io.gantry.server.connector.Listeners;
import io.gantry.server.tls.CertificateStore;
import io.gantry.server.tls.ServerCertificate;
import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;
import org.eclipse.jetty.io.ssl.SslHandshakeListener;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * Metrics of the JVM, of Jetty itself (by wrapping Jetty's parts rather than calls spread through
 * the code) and of the server's TLS certificates. Per-route and per-upstream metrics are the
 * library's ({@link io.gantry.proxy.metrics.ProxyMetrics}).
 *
 * <pre>{@code
 * Server server = new Server(ServerMetrics.threadPool(registry, 8, 200));
 * HttpConnectionFactory http = new HttpConnectionFactory(httpConfig);
 * ServerConnector connector = new ServerConnector(server, ServerMetrics.instrument(registry, http, "public"));
 * ServerMetrics.registerJvm(registry);
 * ServerMetrics.registerCertificateExpiry(registry, "registry", certificate.getNotAfter().toInstant());
 * }</pre>
 */
public final class ServerMetrics {
  /** The prefix of the thread pool metrics: {@code jetty.threads.gantry.utilization}, ... */
  public static final String THREAD_POOL_PREFIX = "jetty.threads";
  /** The thread pool's name: threads are called {@code gantry-<n>}. */
  public static final String THREAD_POOL_NAME = "gantry";

  private ServerMetrics() {}

  /**
   * Registers the JVM's memory, GC, thread state, buffer pool and class loading metrics under
   * {@code jvm.}; does nothing when they are already registered.
   */
  public static void registerJvm(MetricRegistry registry) {
    synchronized (registry) {
      if (registry.getNames().stream().anyMatch(n -> n.startsWith("jvm."))) {
        return;
      }
      registry.registerAll("jvm.memory", new MemoryUsageGaugeSet());
      registry.registerAll("jvm.gc", new GarbageCollectorMetricSet());
      registry.registerAll("jvm.threads", new ThreadStatesGaugeSet());
      registry.registerAll("jvm.buffers", new BufferPoolMetricSet(ManagementFactory.getPlatformMBeanServer()));
      registry.registerAll("jvm.classloader", new ClassLoadingGaugeSet());
    }
  }

  /**
   * Registers (or replaces, after a certificate reload) the gauge {@code
   * gantry.tls.certificate.<name>.days-to-expiry}: whole days until {@code notAfter}, negative
   * once expired.
   */
  public static void registerCertificateExpiry(MetricRegistry registry, String name, Instant notAfter) {
    registerCertificateExpiry(registry, name, notAfter, Clock.systemUTC());
  }

  /**
   * Registers the expiry gauge of each certificate of {@code store}, and removes those of {@code
   * previous} (the store before a reload, or {@code null}) that are gone.
   */
  public static void registerCertificateExpiry(MetricRegistry registry, CertificateStore previous, CertificateStore store) {
    Set<String> aliases = store.certificates().stream().map(ServerCertificate::alias).collect(Collectors.toSet());
    if (previous != null) {
      for (ServerCertificate c : previous.certificates()) {
        if (!aliases.contains(c.alias())) {
          registry.remove("gantry.tls.certificate." + c.alias() + ".days-to-expiry");
        }
      }
    }
    for (ServerCertificate c : store.certificates()) {
      registerCertificateExpiry(registry, c.alias(), c.leaf().getNotAfter().toInstant());
    }
  }

  /** As {@link #registerCertificateExpiry(MetricRegistry, String, Instant)}, on {@code clock}. */
  public static void registerCertificateExpiry(MetricRegistry registry, String name, Instant notAfter, Clock clock) {
    Objects.requireNonNull(notAfter, "notAfter");
    Objects.requireNonNull(clock, "clock");
    String metric = "gantry.tls.certificate." + name + ".days-to-expiry";
    synchronized (registry) {
      registry.remove(metric);
      registry.register(metric, (Gauge<Long>) () -> Duration.between(clock.instant(), notAfter).toDays());
    }
  }

  /**
   * The server's thread pool, reporting {@code jetty.threads.gantry.utilization}, {@code
   * .utilization-max}, {@code .size}, {@code .jobs} and {@code .jobs-queue-utilization}. Pass it
   * to {@code new Server(pool)}.
   */
  public static QueuedThreadPool threadPool(MetricRegistry registry, int minThreads, int maxThreads) {
    InstrumentedQueuedThreadPool pool = new InstrumentedQueuedThreadPool(registry, maxThreads, minThreads);
    pool.setName(THREAD_POOL_NAME);
    pool.setPrefix(THREAD_POOL_PREFIX);
    return pool;
  }

  /**
   * Wraps a connector's first connection factory (the one new connections start with: TLS, or
   * HTTP/1.1 on plain listeners) so that each connection's lifetime is timed in {@code
   * gantry.listener.<name>.connections} and open ones counted in {@code
   * gantry.listener.<name>.active-connections}.
   */
  public static ConnectionFactory instrument(MetricRegistry registry, ConnectionFactory factory, String listenerName) {
    String prefix = "gantry.listener." + listenerName + ".";
    return new InstrumentedConnectionFactory(factory, registry.timer(prefix + "connections"),
        registry.counter(prefix + "active-connections"));
  }

  /**
   * What {@link Listeners#create} instruments listeners with: {@link
   * #instrument} on the first factory, and {@code gantry.listener.<name>.proxy-protocol-refused}, a
   * Meter of connections a {@code proxy-protocol} listener closed (no PROXY header, or a peer
   * outside {@code proxy-protocol-from}).
   */
  public static Listeners.ConnectionFactoryWrapper listeners(MetricRegistry registry) {
    return new Listeners.ConnectionFactoryWrapper() {
      @Override
      public ConnectionFactory wrap(ConnectionFactory factory, String listenerName) {
        return instrument(registry, factory, listenerName);
      }

      @Override
      public void proxyProtocolRefused(String listenerName) {
        registry.meter("gantry.listener." + listenerName + ".proxy-protocol-refused").mark();
      }
    };
  }

  /**
   * Counts a TLS listener's handshakes: {@code gantry.listener.<name>.tls-handshakes} and {@code
   * .tls-handshake-failures} (old clients, wrong protocol versions, scanners). Add it as a bean of
   * the connector; Jetty's SslConnectionFactory tells every such listener.
   */
  public static SslHandshakeListener tlsHandshakes(MetricRegistry registry, String listenerName) {
    Meter succeeded = registry.meter("gantry.listener." + listenerName + ".tls-handshakes");
    Meter failed = registry.meter("gantry.listener." + listenerName + ".tls-handshake-failures");
    return new SslHandshakeListener() {
      @Override
      public void handshakeSucceeded(Event event) {
        succeeded.mark();
      }

      @Override
      public void handshakeFailed(Event event, Throwable failure) {
        failed.mark();
      }
    };
  }
}
