package io.gantry.server.connector;

import io.gantry.server.config.ListenerConfig;
import io.gantry.server.tls.GantrySslContextFactory;
import io.gantry.server.tls.TlsConnectionFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jetty.alpn.server.ALPNServerConnectionFactory;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.http2.server.HTTP2ServerConnectionFactory;
import org.eclipse.jetty.io.WindowRateControl;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * Turns a listener into a Jetty {@link ServerConnector}: on TLS (1.2+, from the given context
 * factory) HTTP/2 and HTTP/1.1 by ALPN unless the listener says {@code http2 = false}, then
 * HTTP/1.1 only; plain listeners speak HTTP/1.1.
 *
 * <p>Plain listeners deliberately offer no {@code h2c}: with the h2c factory on the connector,
 * Jetty read HTTP/1.1 request bodies 16 KiB per syscall instead of 64 KiB, which cost a quarter
 * of the upload throughput (measured: 67,815 reads per GiB against 16,551), and registry clients
 * speak HTTP/1.1 on plain ports anyway.
 *
 * <p>A listener with the PROXY protocol gets {@link RequiredProxyProtocol} as its first factory
 * (before TLS): the client address of every request is the one the load balancer's header names.
 */
public final class Listeners {
  /** Read chunk for request bodies; Jetty's 8 KiB default costs throughput on blob uploads. */
  static final int INPUT_BUFFER = 64 * 1024;
  /** HTTP/2 flow-control window of one request body: how much a client may send ahead. */
  static final int H2_STREAM_WINDOW = 2 * 1024 * 1024;
  /** HTTP/2 flow-control window of a connection, all its request bodies together. */
  static final int H2_SESSION_WINDOW = 4 * 1024 * 1024;

  private Listeners() {}

  /**
   * What one listener needs; {@code tls} null means plain HTTP.
   *
   * @param proxyProtocol whether connections must start with a PROXY header, and from whom
   * @param limits the request header size and HTTP/2 limits
   */
  public record Spec(String name, String bindHost, int port, GantrySslContextFactory tls, boolean http2,
      Duration hsts, boolean hstsIncludeSubdomains, Duration idleTimeout, ListenerConfig.ProxyProtocol proxyProtocol,
      ListenerConfig.Limits limits) {

    /** A listener without the PROXY protocol and with the default limits. */
    public Spec(String name, String bindHost, int port, GantrySslContextFactory tls, boolean http2, Duration hsts,
        boolean hstsIncludeSubdomains, Duration idleTimeout) {
      this(name, bindHost, port, tls, http2, hsts, hstsIncludeSubdomains, idleTimeout, ListenerConfig.NO_PROXY_PROTOCOL,
          ListenerConfig.DEFAULT_LIMITS);
    }
  }

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
    HttpConfiguration http = httpConfiguration(spec.limits().maxRequestHeaderSize());
    List<ConnectionFactory> factories = new ArrayList<>();
    if (spec.tls() != null) {
      http.addCustomizer(secureRequestCustomizer(spec.hsts(), spec.hstsIncludeSubdomains()));
      HttpConnectionFactory h1 = h1(http);
      if (spec.http2()) {
        HTTP2ServerConnectionFactory h2 = h2(http, spec.limits());
        ALPNServerConnectionFactory alpn = new ALPNServerConnectionFactory("h2", "http/1.1");
        alpn.setDefaultProtocol(h1.getProtocol());
        factories.addAll(List.of(wrapper.wrap(new TlsConnectionFactory(spec.tls(), alpn.getProtocol()), spec.name()),
            alpn, h2, h1));
      } else {
        factories.addAll(List.of(wrapper.wrap(new TlsConnectionFactory(spec.tls(), h1.getProtocol()), spec.name()), h1));
      }
    } else {
      factories.add(wrapper.wrap(h1(http), spec.name()));
    }
    if (spec.proxyProtocol().enabled()) {
      // First, so that it reads the header off the raw bytes before TLS; the connection then
      // continues on the factory that used to come first.
      factories.add(0, new RequiredProxyProtocol(factories.get(0).getProtocol(), spec.proxyProtocol().from(),
          () -> wrapper.proxyProtocolRefused(spec.name())));
    }
    ServerConnector connector = new ServerConnector(server, factories.toArray(ConnectionFactory[]::new));
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

  /**
   * HTTP/2 with the listener's limits. The header size of {@code http} bounds a header block
   * however many CONTINUATION frames carry it (Jetty fails the connection past it), and is
   * advertised as SETTINGS_MAX_HEADER_LIST_SIZE; the rate control sends GOAWAY to a connection
   * that resets streams (or sends empty or control frames) faster than allowed: rapid reset,
   * CVE-2023-44487.
   */
  private static HTTP2ServerConnectionFactory h2(HttpConfiguration http, ListenerConfig.Limits limits) {
    HTTP2ServerConnectionFactory h2 = new HTTP2ServerConnectionFactory(http);
    h2.setMaxConcurrentStreams(limits.http2MaxConcurrentStreams());
    h2.setRateControlFactory(new WindowRateControl.Factory(limits.http2MaxEventsPerSecond()));
    // Upload levers, measured one at a time (docs/performance.md, issue 15): the 64 KiB read size
    // of HTTP/1.1 (Jetty's h2 default is 16 KiB), and windows four times Jetty's 512 KiB / 1 MiB.
    // With Jetty's windows a 256 MiB curl upload stalled on WINDOW_UPDATEs and cost 4.4 s CPU/GiB;
    // with these 3.3 (HTTP/1.1: 1.9). Jetty's buffering strategy (one update per half window
    // consumed) stays: the simple one (an update per DATA frame) cost 4.8. A connection may now
    // have up to 4 MiB of body received and not yet written upstream.
    h2.setInputBufferSize(INPUT_BUFFER);
    h2.setInitialStreamRecvWindow(H2_STREAM_WINDOW);
    h2.setInitialSessionRecvWindow(H2_SESSION_WINDOW);
    return h2;
  }

  static HttpConfiguration httpConfiguration(int maxRequestHeaderSize) {
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    http.setSendXPoweredBy(false);
    // Registry tokens (JWT) and Link headers outgrow the 8 KiB defaults: 32 KiB by default. A
    // longer request line is a 414, longer headers a 431 (ServerSetup.RefusalPages in proxy-lib).
    http.setRequestHeaderSize(maxRequestHeaderSize);
    http.setResponseHeaderSize(32 * 1024);
    http.setOutputBufferSize(32 * 1024);
    // No per-connection header field cache: Jetty builds it on a connection's second request as a
    // 1024-node ArrayTrie (98 KiB char[] + 4 KiB) and keeps it as long as the connection lives, so
    // an idle keep-alive TLS connection held 113 KiB of heap instead of 10 (class histograms, 2,000
    // connections x 2 requests each): 2,000 such connections ran a 128m JVM out of memory, 10,000
    // a 512m one. The price: ~2.6 us more to parse a Docker-like request (6 headers; 5.0 vs 2.4 us
    // in a parser microbenchmark). bench/idle-connections.sh --requests 2 measures it.
    http.setHeaderCacheSize(0);
    // Paths are judged by gantry's PathNormalizer, which refuses what is ambiguous with a clear
    // 400 and forwards encoded slashes where a route allows them; Jetty must let them reach it.
    http.setUriCompliance(UriCompliance.UNSAFE);
    return http;
  }

  /** Lets metrics wrap the first connection factory of a listener, and count what never reaches it. */
  @FunctionalInterface
  public interface ConnectionFactoryWrapper {
    ConnectionFactory wrap(ConnectionFactory factory, String listenerName);

    /** A connection to a {@code proxy-protocol} listener was closed: no PROXY header, or a peer not allowed. */
    default void proxyProtocolRefused(String listenerName) {}
  }
}
