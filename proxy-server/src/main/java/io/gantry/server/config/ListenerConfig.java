package io.gantry.server.config;

import java.time.Duration;
import java.util.List;

/**
 * One listener (a Jetty connector), from an element of {@code gantry.listeners}.
 *
 * @param name the name routes refer to with {@code listener = ...}
 * @param host the bind address; {@code 0.0.0.0} for every interface
 * @param port 1-65535, or 0 for any free port
 * @param tls whether the listener speaks TLS (the default)
 * @param redirectTo for a plain listener: the port to redirect every request to over https, or 0 for none
 * @param hsts the {@code Strict-Transport-Security} header sent on this TLS listener
 * @param http2 whether a TLS listener offers HTTP/2 (ALPN {@code h2}) besides HTTP/1.1 (the default);
 *     always false on a plain listener
 * @param proxyProtocol whether every connection must start with a PROXY protocol (v1 or v2) header,
 *     and from which peers
 * @param limits request header size and HTTP/2 limits
 * @param file the file the listener is declared in
 * @param line the line it is declared on
 */
public record ListenerConfig(
    String name, String host, int port, boolean tls, int redirectTo, Hsts hsts, boolean http2,
    ProxyProtocol proxyProtocol, Limits limits, String file, int line) {

  /** Default {@link Limits}: what {@code reference.conf} sets. */
  public static final Limits DEFAULT_LIMITS = new Limits(32 * 1024, 128, 128);

  /** No PROXY protocol: the connection's peer is the client. */
  public static final ProxyProtocol NO_PROXY_PROTOCOL = new ProxyProtocol(false, List.of());

  /** Whether plain requests are redirected to https instead of routed. */
  public boolean redirects() {
    return redirectTo > 0;
  }

  /**
   * The HSTS policy of a TLS listener.
   *
   * @param enabled whether the header is sent
   * @param maxAge its {@code max-age}
   * @param includeSubdomains whether it carries {@code includeSubDomains}
   */
  public record Hsts(boolean enabled, Duration maxAge, boolean includeSubdomains) {
    /** The header value, e.g. {@code max-age=31536000; includeSubDomains}. */
    public String headerValue() {
      return "max-age=" + maxAge.toSeconds() + (includeSubdomains ? "; includeSubDomains" : "");
    }
  }

  /**
   * The PROXY protocol (HAProxy's v1 text or v2 binary header) in front of a listener's connections.
   *
   * @param enabled whether every connection must start with a PROXY header; one without is closed
   * @param from addresses or CIDRs allowed to connect (and so to send the header); empty: any peer
   */
  public record ProxyProtocol(boolean enabled, List<String> from) {
    public ProxyProtocol {
      from = List.copyOf(from);
    }
  }

  /**
   * What a client may send on one listener.
   *
   * @param maxRequestHeaderSize bytes of request line and headers (HTTP/1.1; on HTTP/2 the header
   *     list, also advertised as SETTINGS_MAX_HEADER_LIST_SIZE)
   * @param http2MaxConcurrentStreams streams one HTTP/2 connection may have open
   * @param http2MaxEventsPerSecond suspicious HTTP/2 frames (resets, empty frames, pings, settings) one
   *     connection may send per second before it gets a GOAWAY (the rapid-reset guard)
   */
  public record Limits(int maxRequestHeaderSize, int http2MaxConcurrentStreams, int http2MaxEventsPerSecond) {}
}
