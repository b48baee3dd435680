package io.gantry.server;

import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.health.HealthCheckRegistry;
import com.google.inject.AbstractModule;
import com.google.inject.Singleton;
import io.gantry.proxy.metrics.ProxyMetrics;
import io.gantry.server.config.GantryConfig;
import io.gantry.server.tls.CertificateStore;
import org.eclipse.jetty.server.RequestLog;

/** Bindings only: what gantry is made of, for one validated configuration. */
public final class GantryModule extends AbstractModule {
  private final GantryConfig config;

  public GantryModule(GantryConfig config) {
    this.config = config;
  }

  @Override
  protected void configure() {
    bind(GantryConfig.class).toInstance(config);
    bind(MetricRegistry.class).toInstance(new MetricRegistry());
    bind(HealthCheckRegistry.class).toInstance(new HealthCheckRegistry());
    bind(CertificateStore.class).toProvider(Providers.Certificates.class).in(Singleton.class);
    bind(ProxyMetrics.class).toProvider(Providers.Metrics.class).in(Singleton.class);
    bind(RequestLog.class).toProvider(Providers.AccessLogs.class).in(Singleton.class);
    bind(GantryServer.class).in(Singleton.class);
  }
}
