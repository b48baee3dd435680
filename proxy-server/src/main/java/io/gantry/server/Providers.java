package io.gantry.server;

import com.codahale.metrics.MetricRegistry;
import io.gantry.proxy.metrics.ProxyMetrics;
import io.gantry.server.accesslog.AccessLog;
import io.gantry.server.config.AccessLogConfig;
import io.gantry.server.config.GantryConfig;
import io.gantry.server.tls.CertificateStore;
import io.gantry.server.tls.ConfiguredCertificates;
import jakarta.inject.Inject;
import jakarta.inject.Provider;
import org.eclipse.jetty.server.RequestLog;

/** How the values gantry is made of are built from its configuration. */
final class Providers {
  private Providers() {}

  /** Every configured certificate, or a self-signed one made (once) for the configured names. */
  static final class Certificates implements Provider<CertificateStore> {
    private final GantryConfig config;

    @Inject
    Certificates(GantryConfig config) {
      this.config = config;
    }

    @Override
    public CertificateStore get() {
      return ConfiguredCertificates.load(config);
    }

  }

  /**
   * The library's proxy metrics: every configured route and upstream at zero, upstreams under
   * their configured names ({@code gantry.upstream.<name>.*}).
   */
  static final class Metrics implements Provider<ProxyMetrics> {
    private final GantryConfig config;
    private final MetricRegistry registry;

    @Inject
    Metrics(GantryConfig config, MetricRegistry registry) {
      this.config = config;
      this.registry = registry;
    }

    @Override
    public ProxyMetrics get() {
      return ProxyMetrics.builder(registry)
          .upstreamNames(config.upstreamsByName())
          .routes(config.routeTable())
          .build();
    }
  }

  /** The access log, or a log that writes nothing when it is switched off. */
  static final class AccessLogs implements Provider<RequestLog> {
    private final GantryConfig config;

    @Inject
    AccessLogs(GantryConfig config) {
      this.config = config;
    }

    @Override
    public RequestLog get() {
      AccessLogConfig log = config.accessLog();
      if (!log.enabled()) {
        return (request, response) -> { };
      }
      return log.path() == null ? AccessLog.toLogger(log.format()) : AccessLog.toFile(log.format(), log.path().toString());
    }
  }
}
