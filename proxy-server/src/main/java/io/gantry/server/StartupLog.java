package io.gantry.server;

import com.sun.management.UnixOperatingSystemMXBean;
import io.gantry.proxy.route.RouteTable;
import io.gantry.server.admin.AdminServer;
import io.gantry.server.config.GantryConfig;
import io.gantry.server.config.ListenerConfig;
import io.gantry.server.tls.CertificateInfo;
import io.gantry.server.tls.CertificateStore;
import io.gantry.server.tls.GantrySslContextFactory;
import io.gantry.server.tls.ServerCertificate;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import org.eclipse.jetty.server.ServerConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What a started gantry tells its operator: listeners, certificates, routes, admin, start time. */
final class StartupLog {
  private static final Logger LOG = LoggerFactory.getLogger(GantryServer.class);

  private StartupLog() {}

  static void log(GantryConfig config, Map<String, ServerConnector> connectors, GantrySslContextFactory tls,
      RouteTable routes, AdminServer admin, int maxThreads, Duration took) {
    for (ListenerConfig l : config.listeners()) {
      ServerConnector c = connectors.get(l.name());
      String scheme = l.tls() ? "https" : "http";
      String host = l.host() == null || l.host().isEmpty() ? "0.0.0.0" : l.host();
      LOG.info("listener {} on {}://{}:{}{}{}", l.name(), scheme, host, c.getLocalPort(),
          l.tls() ? (l.http2() ? " (TLS 1.2+, h2 and http/1.1)" : " (TLS 1.2+, http/1.1)") : l.redirects() ? " (redirects to https port " + l.redirectTo() + ")" : "",
          l.proxyProtocol().enabled() ? " (PROXY protocol required" + (l.proxyProtocol().from().isEmpty() ? ")"
              : " from " + String.join(", ", l.proxyProtocol().from()) + ")") : "");
    }
    if (tls != null) {
      LOG.info("TLS by {}", tls.provider());
      if (tls.provider().isConscrypt()
          && ManagementFactory.getOperatingSystemMXBean() instanceof UnixOperatingSystemMXBean os) {
        // The cost that decides whether Conscrypt suits a front holding many idle connections.
        long limit = os.getMaxFileDescriptorCount();
        LOG.info("Conscrypt holds 3 file descriptors per TLS connection (a pipe besides the socket): "
            + "the open-files limit of {} carries about {} TLS connections (the JDK's TLS: about {})",
            limit, limit / 3, limit);
      }
      Instant now = Instant.now();
      CertificateStore store = tls.certificateStore();
      for (ServerCertificate c : store.certificates()) {
        LOG.info("certificate {}{}", CertificateInfo.of(c).describe(now),
            c == store.defaultCertificate() ? " (default for clients without SNI)" : "");
      }
      store.warnings().forEach(w -> LOG.warn("{}", w));
    }
    LOG.info("routes ({}, {} engine):", routes.routes().size(), config.engine().name().toLowerCase(Locale.ROOT));
    routes.toString().lines().forEach(line -> LOG.info("{}", line));
    if (admin != null) {
      LOG.info("admin on http://{}:{} (/metrics /metrics/prometheus /healthcheck /ping /threads /routes /ready)",
          config.admin().host(), admin.connector().getLocalPort());
    }
    LOG.info("gantry started in {} ms ({} threads at most)", took.toMillis(), maxThreads);
  }
}
