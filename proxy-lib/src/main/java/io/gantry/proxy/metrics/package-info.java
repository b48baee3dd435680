/**
 * Dropwizard metrics of the proxy, in the embedder's {@code MetricRegistry}: {@link
 * io.gantry.proxy.metrics.ProxyMetrics} (an observer: per route, per upstream, refusals by reason,
 * 421s per listener) and {@link io.gantry.proxy.metrics.MetricsServlets} (the admin servlets and
 * Prometheus text in one line; needs the optional Dropwizard servlets and Prometheus artifacts).
 *
 * <pre>{@code
 * ProxyMetrics metrics = ProxyMetrics.of(registry, routes);
 * server.setHandler(RoutingProxyHandler.builder().routes(routes).observer(metrics).build());
 * MetricsServlets.mount(adminContext, registry, healthChecks);
 * }</pre>
 */
package io.gantry.proxy.metrics;
