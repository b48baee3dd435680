package io.gantry.proxy;

import java.util.Locale;

/**
 * Why gantry answered a request itself instead of forwarding it: the kind of a refusal, for
 * metrics and audits ({@link ProxyExchange#refusal()}), next to the status and the human-readable
 * reason {@link ProxyObserver#onRefused} receives. The first nine come from gantry's {@link
 * Router} and the client limits; the rest are what Jetty refused before any handler ran (the proxy reports those when it
 * {@linkplain ProxyBuilder#configureServer configures the server}).
 *
 * <pre>{@code
 * public void onRefused(ProxyExchange exchange, int status, String reason) {
 *   if (exchange.refusal() == Refusal.UNSAFE_PATH) {
 *     audit.warn("{} on {}: {}", exchange.requestId(), exchange.host(), reason);
 *   }
 * }
 * }</pre>
 */
public enum Refusal {
  /** 421: the TLS server name (SNI) and the {@code Host} header disagree. */
  MISDIRECTED,
  /** 421 on TLS, 404 otherwise: no route serves this host on this listener. */
  UNKNOWN_HOST,
  /** 400: a path that could climb out of a prefix or is otherwise ambiguous. */
  UNSAFE_PATH,
  /** 405: TRACE, TRACK or CONNECT. */
  METHOD_NOT_ALLOWED,
  /** 404: the host is served here, but no route matches the request. */
  NO_ROUTE,
  /** 400: an encoded slash ({@code %2F}) on a route that does not allow it; the route is known. */
  ENCODED_SLASH,
  /** 403: the route's access rules refuse the client address or the path. */
  FORBIDDEN,
  /** 429: the client is over its concurrency or request-rate limit ({@link io.gantry.proxy.limit.ClientLimits}). */
  RATE_LIMITED,
  /** 503: no instance of the route's upstream is up (all ejected or failing their health check). */
  UPSTREAM_DOWN,
  /** 400 (or 505) from Jetty: a request it could not parse. */
  MALFORMED,
  /** 414 from Jetty: the request line is over the connector's limit. */
  URI_TOO_LONG,
  /** 431 from Jetty: the request headers are over the connector's limit. */
  HEADERS_TOO_LARGE,
  /** 413 from Jetty: the request body is over a limit. */
  TOO_LARGE,
  /** Any other status Jetty answered by itself before the proxy routed the request. */
  OTHER;

  private final String label = name().toLowerCase(Locale.ROOT).replace('_', '-');

  /** The kind as a metric name segment: lower case, words joined by {@code -} ({@code unsafe-path}). */
  public String label() {
    return label;
  }

  /** The kind of a refusal Jetty answered with {@code status} before any handler ran. */
  static Refusal beforeRouting(int status) {
    return switch (status) {
      case 400, 505 -> MALFORMED;
      case 404 -> NO_ROUTE; // no handler took the request (a proxy passing unmatched requests on)
      case 413 -> TOO_LARGE;
      case 414 -> URI_TOO_LONG;
      case 431 -> HEADERS_TOO_LARGE;
      default -> OTHER;
    };
  }
}
