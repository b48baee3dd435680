package io.gantry.proxy.route;

import java.util.Collection;
import java.util.Locale;

/**
 * Host name normalisation shared by strategies, the route table and request views, and whether
 * host patterns cover a host ({@link #covers}).
 */
public final class HostNames {
  private HostNames() {}

  /**
   * The host of an authority ({@code Host} header value): lower case, port and one trailing dot
   * removed, IPv6 brackets kept. {@code null} gives the empty string.
   */
  public static String fromAuthority(String authority) {
    if (authority == null) {
      return "";
    }
    String host = authority.trim();
    if (host.startsWith("[")) {
      int close = host.indexOf(']');
      host = close < 0 ? host : host.substring(0, close + 1);
    } else {
      int colon = host.indexOf(':');
      if (colon >= 0) {
        host = host.substring(0, colon);
      }
    }
    return normalize(host);
  }

  /** Lower case, without one trailing dot; the form every host comparison in gantry uses. */
  public static String normalize(String host) {
    if (host == null) {
      return "";
    }
    String h = host;
    if (h.endsWith(".")) {
      h = h.substring(0, h.length() - 1);
    }
    // Fast path: most hosts are already lower case ASCII.
    for (int i = 0; i < h.length(); i++) {
      char c = h.charAt(i);
      if (c >= 'A' && c <= 'Z') {
        return h.toLowerCase(Locale.ROOT);
      }
    }
    return h;
  }

  /**
   * Whether host patterns match every host {@code hostOrPattern} stands for: itself, or for a
   * {@code *.} wildcard every host one label under its domain. Patterns are what {@link
   * RouteStrategies#host} takes, and the answer is that strategy's, so tools that compare routes
   * agree with routing.
   *
   * <pre>{@code
   * covers(List.of("*.example.com"), "A.example.com.")   // true
   * covers(List.of("*.example.com"), "*.example.com")    // true
   * covers(List.of("*.example.com"), "example.com")      // false: a wildcard takes exactly one label
   * covers(List.of("a.example.com"), "*.example.com")    // false: b.example.com is not covered
   * }</pre>
   *
   * @throws io.gantry.proxy.validation.InvalidSettingException (setting {@code host}) for an invalid pattern
   */
  public static boolean covers(Collection<String> patterns, String hostOrPattern) {
    Strategies.Host strategy = RouteStrategies.hostStrategy(patterns.toArray(String[]::new));
    // A wildcard read as a host has '*' for its first label, so the one-label rule files it under
    // its own domain: only the same wildcard matches it, and no exact name does.
    return strategy.matchesHost(normalize(hostOrPattern.trim()));
  }

  /**
   * The wildcard suffix under which {@code host} would be matched by a {@code *.} pattern: {@code
   * a.example.com} gives {@code .example.com}; a single-label host gives {@code null}.
   */
  static String wildcardSuffix(String host) {
    int dot = host.indexOf('.');
    return dot <= 0 || dot == host.length() - 1 ? null : host.substring(dot);
  }

  /**
   * {@code host[:port]} for a request that came without a {@code Host} header (HTTP/2's {@code
   * :authority}): IPv6 literals bracketed, the scheme's default port left out; {@code null} without
   * a host.
   */
  public static String authority(String host, int port, boolean secure) {
    if (host == null || host.isEmpty()) {
      return null;
    }
    String name = host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host;
    return port <= 0 || port == (secure ? 443 : 80) ? name : name + ":" + port;
  }
}
