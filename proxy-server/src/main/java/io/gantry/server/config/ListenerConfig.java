package io.gantry.server.config;

import java.time.Duration;

/**
 * One listener (a Jetty connector), from an element of {@code gantry.listeners}.
 *
 * @param name the name routes refer to with {@code listener = ...}
 * @param host the bind address; {@code 0.0.0.0} for every interface
 * @param port 1-65535, or 0 for any free port
 * @param tls whether the listener speaks TLS (the default)
 * @param redirectTo for a plain listener: the port to redirect every request to over https, or 0 for none
 * @param hsts the {@code Strict-Transport-Security} header sent on this TLS listener
 * @param http2 whether a TLS listener offers HTTP/2 (ALPN {@code h2}) besides HTTP/1.1
 * @param file the file the listener is declared in
 * @param line the line it is declared on
 */
public record ListenerConfig(
    String name, String host, int port, boolean tls, int redirectTo, Hsts hsts, boolean http2, String file,
    int line) {

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
}
