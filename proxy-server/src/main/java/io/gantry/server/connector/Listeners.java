package io.gantry.server.connector;

import java.time.Duration;
import org.eclipse.jetty.alpn.server.ALPNServerConnectionFactory;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.http2.server.HTTP2ServerConnectionFactory;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * Turns a listener into a Jetty {@link ServerConnector}: HTTP/1.1 on TLS (plus HTTP/2 by ALPN
 * {@code h2} when the listener asks for it) and on plain listeners, TLS 1.2+ from the given
 * context factory.
 *
 * <p>Plain listeners deliberately offer no {@code h2c}: with the h2c factory on the connector,
 * Jetty read HTTP/1.1 request bodies 16 KiB per syscall instead of 64 KiB, which cost a quarter
 * of the upload throughput (measured: 67,815 reads per GiB against 16,551), and registry clients
 * speak HTTP/1.1 on plain ports anyway.
 */
public final class Listeners {
  /** Read chunk for request bodies; Jetty's 8 KiB default costs throughput on blob uploads. */
  static final int INPUT_BUFFER = 64 * 1024;

  private Listeners() {}

  /** What one listener needs; {@code tls} null means plain HTTP. */
  public record Spec(String name, String bindHost, int port, SslContextFactory.Server tls, boolean http2,
      Duration hsts, boolean hstsIncludeSubdomains, Duration idleTimeout) {}

  /** A connector for {@code spec}, added to {@code server} and named after the listener. */
  public static ServerConnector add(Server server, Spec spec, ConnectionFactoryWrapper wrapper) {
    ServerConnector connector = create(server, spec, wrapper);
    server.addConnector(connector);
    return connector;
  }

  /**
   * A connector for {@code spec} named after the listener, not yet added to {@code server}: a
   * reload binds it ({@code open()}) before it switches anything.
   */
  public static ServerConnector create(Server server, Spec spec, ConnectionFactoryWrapper wrapper) {
    HttpConfiguration http = httpConfiguration();
    ServerConnector connector;
    if (spec.tls() != null) {
      http.addCustomizer(secureRequestCustomizer(spec.hsts(), spec.hstsIncludeSubdomains()));
      HttpConnectionFactory h1 = h1(http);
      HTTP2ServerConnectionFactory h2 = new HTTP2ServerConnectionFactory(http);
      ALPNServerConnectionFactory alpn = new ALPNServerConnectionFactory("h2", "http/1.1");
      alpn.setDefaultProtocol(h1.getProtocol());
      SslConnectionFactory ssl = new SslConnectionFactory(spec.tls(), alpn.getProtocol());
      connector = spec.http2()
          ? new ServerConnector(server, wrapper.wrap(ssl, spec.name()), alpn, h2, h1)
          : new ServerConnector(server, wrapper.wrap(new SslConnectionFactory(spec.tls(), h1.getProtocol()), spec.name()), h1);
    } else {
      HttpConnectionFactory h1 = h1(http);
      connector = new ServerConnector(server, wrapper.wrap(h1, spec.name()));
    }
    connector.setName(spec.name());
    connector.setHost(spec.bindHost());
    connector.setPort(spec.port());
    connector.setIdleTimeout(spec.idleTimeout().toMillis());
    connector.setAcceptQueueSize(1024);
    return connector;
  }

  /**
   * The customizer for TLS connectors. Jetty's SNI host check is off: it compares Host with the
   * <em>served</em> certificate, which a wildcard or a default certificate defeats, and answers 400
   * to clients without SNI; gantry's router checks SNI against Host itself and answers 421.
   *
   * @param hsts the {@code Strict-Transport-Security} max-age, or {@code null} for none
   */
  public static SecureRequestCustomizer secureRequestCustomizer(Duration hsts, boolean hstsIncludeSubdomains) {
    SecureRequestCustomizer secure = new SecureRequestCustomizer(false);
    secure.setSniRequired(false);
    if (hsts != null && !hsts.isZero()) {
      secure.setStsMaxAge(hsts.toSeconds());
      secure.setStsIncludeSubDomains(hstsIncludeSubdomains);
    }
    return secure;
  }

  private static HttpConnectionFactory h1(HttpConfiguration http) {
    HttpConnectionFactory h1 = new HttpConnectionFactory(http);
    h1.setInputBufferSize(INPUT_BUFFER);
    return h1;
  }

  static HttpConfiguration httpConfiguration() {
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    http.setSendXPoweredBy(false);
    // Registry tokens (JWT) and Link headers outgrow the 8 KiB defaults.
    http.setRequestHeaderSize(32 * 1024);
    http.setResponseHeaderSize(32 * 1024);
    http.setOutputBufferSize(32 * 1024);
    // Paths are judged by gantry's PathNormalizer, which refuses what is ambiguous with a clear
    // 400 and forwards encoded slashes where a route allows them; Jetty must let them reach it.
    http.setUriCompliance(UriCompliance.UNSAFE);
    return http;
  }

  /** Lets metrics wrap the first connection factory of a listener. */
  @FunctionalInterface
  public interface ConnectionFactoryWrapper {
    ConnectionFactory wrap(ConnectionFactory factory, String listenerName);
  }
}
