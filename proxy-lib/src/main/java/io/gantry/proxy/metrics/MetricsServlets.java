package io.gantry.proxy.metrics;

import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.health.HealthCheckRegistry;
import io.dropwizard.metrics.servlets.AdminServlet;
import io.dropwizard.metrics.servlets.HealthCheckServlet;
import io.dropwizard.metrics.servlets.MetricsServlet;
import io.prometheus.metrics.exporter.servlet.jakarta.PrometheusMetricsServlet;
import io.prometheus.metrics.instrumentation.dropwizard.DropwizardExports;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Objects;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;

/**
 * Mounts Dropwizard's admin servlets and a Prometheus exporter of the same registry in a servlet
 * context, in one line:
 *
 * <table>
 *   <caption>Paths, under the mount path</caption>
 *   <tr><td>{@code /metrics}</td><td>Dropwizard JSON of every metric</td></tr>
 *   <tr><td>{@code /metrics/prometheus}</td><td>the same metrics in Prometheus text format</td></tr>
 *   <tr><td>{@code /healthcheck}</td><td>health checks as JSON; 500 when one is unhealthy</td></tr>
 *   <tr><td>{@code /ping}</td><td>{@code pong}</td></tr>
 *   <tr><td>{@code /threads}</td><td>a thread dump</td></tr>
 * </table>
 *
 * <p>The admin servlet takes every other path under the mount (404, or its menu at the mount
 * itself); the CPU profiler is off.
 *
 * <pre>{@code
 * ServletContextHandler admin = new ServletContextHandler("/");
 * MetricsServlets.mount(admin, registry, healthChecks);           // /metrics, /metrics/prometheus, ...
 * // or, next to the application's servlets: MetricsServlets.mount(app, "/admin", registry, null);
 * }</pre>
 *
 * <p><b>Optional dependencies.</b> proxy-lib requires only {@code metrics-core}; to use this class,
 * add {@code io.dropwizard.metrics:metrics-jakarta-servlets} (which brings {@code
 * metrics-healthchecks}, {@code metrics-json}, {@code metrics-jvm}, Jackson),
 * {@code io.prometheus:prometheus-metrics-instrumentation-dropwizard} and {@code
 * io.prometheus:prometheus-metrics-exporter-servlet-jakarta} (the versions gantry is built with are
 * in its parent pom). {@link ProxyMetrics} works without them.
 */
public final class MetricsServlets {
  /** The service name on the admin servlet's menu page. */
  static final String SERVICE_NAME = "gantry";

  private MetricsServlets() {}

  /** {@link #mount(ServletContextHandler, String, MetricRegistry, HealthCheckRegistry)} at the context's root. */
  public static void mount(ServletContextHandler context, MetricRegistry metrics, HealthCheckRegistry healthChecks) {
    mount(context, "", metrics, healthChecks);
  }

  /**
   * Mounts the servlets under {@code path} within {@code context}; call before the context starts.
   * A context holds one pair of registries (Dropwizard's servlets read them from context
   * attributes): mounting other registries in the same context is refused.
   *
   * @param path empty for the context's root, or a path such as {@code /admin} (no trailing
   *     {@code /})
   * @param healthChecks the health checks {@code /healthcheck} runs; {@code null} for none
   * @throws IllegalArgumentException for a malformed path, or when {@code context} already serves
   *     other registries
   */
  public static void mount(ServletContextHandler context, String path, MetricRegistry metrics,
      HealthCheckRegistry healthChecks) {
    Objects.requireNonNull(context, "context");
    Objects.requireNonNull(metrics, "metrics");
    Objects.requireNonNull(path, "path");
    if (!path.isEmpty() && (!path.startsWith("/") || path.endsWith("/") || path.contains("*") || path.contains("//"))) {
      throw new IllegalArgumentException("path: '" + path + "' (expected: empty, or /name without a trailing '/')");
    }
    HealthCheckRegistry health = healthChecks != null ? healthChecks
        : context.getAttribute(HealthCheckServlet.HEALTH_CHECK_REGISTRY) instanceof HealthCheckRegistry h ? h
        : new HealthCheckRegistry();
    attribute(context, MetricsServlet.METRICS_REGISTRY, metrics);
    attribute(context, HealthCheckServlet.HEALTH_CHECK_REGISTRY, health);

    ServletHolder admin = new ServletHolder("dropwizard-admin" + path, AdminServlet.class);
    admin.setInitParameter(AdminServlet.CPU_PROFILE_ENABLED_PARAM_KEY, "false");
    admin.setInitParameter(AdminServlet.SERVICE_NAME_PARAM_KEY, SERVICE_NAME);
    context.addServlet(admin, path + "/*");

    PrometheusRegistry prometheus = new PrometheusRegistry();
    DropwizardExports.builder().dropwizardRegistry(metrics).register(prometheus);
    context.addServlet(new ServletHolder("prometheus" + path, new PrometheusMetricsServlet(prometheus)),
        path + "/metrics/prometheus");
  }

  private static void attribute(ServletContextHandler context, String name, Object registry) {
    Object present = context.getAttribute(name);
    if (present != null && present != registry) {
      throw new IllegalArgumentException("context " + context.getContextPath() + ": already serves another registry as '"
          + name + "' (expected: one registry of each kind per context)");
    }
    context.setAttribute(name, registry);
  }
}
