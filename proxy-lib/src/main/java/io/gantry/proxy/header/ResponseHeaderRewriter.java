package io.gantry.proxy.header;

import io.gantry.proxy.upstream.Upstream;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * Rewrites the response headers that carry URLs, so no backend address, port or path prefix
 * reaches the client: {@code Location}, {@code Content-Location}, {@code Link} (every
 * URI-reference in it), {@code WWW-Authenticate} ({@code realm="..."}) and {@code Refresh}.
 *
 * <p>An absolute URL naming the upstream (or the public host, as backends that honour {@code
 * Host} build it) becomes {@code scheme://public-host[:port]/...} with the upstream's prefix
 * removed from its path; an absolute path under the prefix loses the prefix. Other URLs, such as
 * an external token service, are left alone.
 *
 * <pre>{@code
 * ResponseHeaderRewriter r = new ResponseHeaderRewriter(Upstream.of("http://nexus:8081/repository/docker-hosted/"));
 * r.rewrite("Location", "http://nexus:8081/repository/docker-hosted/v2/x/blobs/uploads/1", "https", "registry.example.com");
 * // -> https://registry.example.com/v2/x/blobs/uploads/1
 * }</pre>
 */
public final class ResponseHeaderRewriter {
  private final String prefix;
  private final String prefixWithoutSlash;
  /** Each instance's {@code host:port}, and its bare host where the port is the scheme's default. */
  private final Set<String> upstreamAuthorities;
  private final String publicPrefix;

  public ResponseHeaderRewriter(Upstream upstream) {
    this(upstream, "");
  }

  /**
   * A rewriter for a proxy reached under {@code publicPrefix} (a servlet mounted at {@code
   * /registry/*}): the upstream's prefix becomes the public one, {@code /repository/docker-hosted/v2/x}
   * → {@code /registry/v2/x}.
   *
   * @param publicPrefix empty, or a path starting with {@code /} and not ending with one
   */
  public ResponseHeaderRewriter(Upstream upstream, String publicPrefix) {
    if (publicPrefix == null || (!publicPrefix.isEmpty() && (!publicPrefix.startsWith("/") || publicPrefix.endsWith("/")))) {
      throw new IllegalArgumentException("publicPrefix: '" + publicPrefix + "' (expected: empty, or /path without a trailing /)");
    }
    this.publicPrefix = publicPrefix;
    this.prefix = upstream.prefix();
    this.prefixWithoutSlash = prefix.substring(0, prefix.length() - 1);
    Set<String> authorities = new HashSet<>();
    for (Upstream.Instance instance : upstream.instances()) {
      // Instance.host() keeps the brackets of an IPv6 literal (java.net.URI does); add them only if missing.
      String host = instance.host().contains(":") && !instance.host().startsWith("[")
          ? "[" + instance.host() + "]" : instance.host();
      authorities.add((host + ":" + instance.port()).toLowerCase(Locale.ROOT));
      if (instance.port() == (instance.scheme().equals("https") ? 443 : 80)) {
        authorities.add(host.toLowerCase(Locale.ROOT));
      }
    }
    this.upstreamAuthorities = Set.copyOf(authorities);
  }

  /** Whether gantry rewrites a response header of this name. */
  public static boolean rewrites(String headerName) {
    switch (headerName.length()) {
      case 4:
        return headerName.equalsIgnoreCase("Link");
      case 7:
        return headerName.equalsIgnoreCase("Refresh");
      case 8:
        return headerName.equalsIgnoreCase("Location");
      case 16:
        return headerName.equalsIgnoreCase("Content-Location") || headerName.equalsIgnoreCase("WWW-Authenticate");
      default:
        return false;
    }
  }

  /**
   * The value to send to the client for header {@code name}.
   *
   * @param publicScheme {@code https} or {@code http}, as the client connected
   * @param publicAuthority the {@code Host} the client sent, {@code host[:port]}
   */
  public String rewrite(String name, String value, String publicScheme, String publicAuthority) {
    if (value == null) {
      return null;
    }
    String lower = name.toLowerCase(Locale.ROOT);
    return switch (lower) {
      case "location", "content-location" -> rewriteUri(value.trim(), publicScheme, publicAuthority);
      case "link" -> rewriteLink(value, publicScheme, publicAuthority);
      case "www-authenticate" -> rewriteRealm(value, publicScheme, publicAuthority);
      case "refresh" -> rewriteRefresh(value, publicScheme, publicAuthority);
      default -> value;
    };
  }

  /** Rewrites one URI-reference. */
  public String rewriteUri(String uri, String publicScheme, String publicAuthority) {
    int authorityStart;
    if (uri.regionMatches(true, 0, "http://", 0, 7)) {
      authorityStart = 7;
    } else if (uri.regionMatches(true, 0, "https://", 0, 8)) {
      authorityStart = 8;
    } else if (uri.startsWith("//")) {
      authorityStart = 2;
    } else if (uri.startsWith("/")) {
      return stripPrefix(uri);
    } else {
      return uri; // relative reference: resolves against the public URL already
    }
    int end = authorityStart;
    while (end < uri.length() && "/?#".indexOf(uri.charAt(end)) < 0) {
      end++;
    }
    String authority = uri.substring(authorityStart, end);
    if (!isOurs(authority, publicAuthority)) {
      return uri;
    }
    String rest = end < uri.length() ? uri.substring(end) : "/";
    String scheme = authorityStart == 2 ? "//" : publicScheme + "://";
    return scheme + publicAuthority + stripPrefix(rest.startsWith("/") ? rest : "/" + rest);
  }

  private boolean isOurs(String authority, String publicAuthority) {
    return upstreamAuthorities.contains(authority.toLowerCase(Locale.ROOT))
        || authority.equalsIgnoreCase(publicAuthority)
        || samePublicHost(authority, publicAuthority);
  }

  /**
   * The public host written without its port (a backend that dropped it), or with the scheme's
   * default port when the public authority has none, is still ours; another explicit port is
   * another endpoint.
   */
  private static boolean samePublicHost(String authority, String publicAuthority) {
    if (!hostOf(authority).equalsIgnoreCase(hostOf(publicAuthority))) {
      return false;
    }
    String port = portOf(authority);
    return port == null || (portOf(publicAuthority) == null && (port.equals("443") || port.equals("80")));
  }

  private static String portOf(String authority) {
    int colon = authority.lastIndexOf(':');
    return colon > authority.lastIndexOf(']') ? authority.substring(colon + 1) : null;
  }

  private static String hostOf(String authority) {
    int colon = authority.lastIndexOf(':');
    return colon > authority.lastIndexOf(']') ? authority.substring(0, colon) : authority;
  }

  private String stripPrefix(String pathAndMore) {
    String path = upstreamToPublic(pathAndMore);
    return publicPrefix.isEmpty() ? path : publicPrefix + path;
  }

  private String upstreamToPublic(String pathAndMore) {
    if (prefix.length() == 1) {
      return pathAndMore;
    }
    if (pathAndMore.startsWith(prefix)) {
      return pathAndMore.substring(prefixWithoutSlash.length());
    }
    if (pathAndMore.startsWith(prefixWithoutSlash)) {
      int n = prefixWithoutSlash.length();
      if (pathAndMore.length() == n) {
        return "/";
      }
      char next = pathAndMore.charAt(n);
      if (next == '?' || next == '#') {
        return "/" + pathAndMore.substring(n);
      }
    }
    return pathAndMore;
  }

  /** Every {@code <URI-reference>} of a Link header, outside quoted strings. */
  private String rewriteLink(String value, String scheme, String authority) {
    StringBuilder out = new StringBuilder(value.length());
    boolean quoted = false;
    int i = 0;
    while (i < value.length()) {
      char c = value.charAt(i);
      if (quoted) {
        out.append(c);
        if (c == '\\' && i + 1 < value.length()) {
          out.append(value.charAt(++i));
        } else if (c == '"') {
          quoted = false;
        }
        i++;
      } else if (c == '"') {
        quoted = true;
        out.append(c);
        i++;
      } else if (c == '<') {
        int close = value.indexOf('>', i + 1);
        if (close < 0) {
          out.append(value, i, value.length());
          break;
        }
        out.append('<').append(rewriteUri(value.substring(i + 1, close).trim(), scheme, authority)).append('>');
        i = close + 1;
      } else {
        out.append(c);
        i++;
      }
    }
    return out.toString();
  }

  /** The {@code realm="..."} parameters of every challenge. */
  private String rewriteRealm(String value, String scheme, String authority) {
    StringBuilder out = new StringBuilder(value.length());
    int i = 0;
    String lower = value.toLowerCase(Locale.ROOT);
    while (true) {
      int at = lower.indexOf("realm", i);
      if (at < 0) {
        out.append(value, i, value.length());
        return out.toString();
      }
      int eq = at + 5;
      while (eq < value.length() && value.charAt(eq) == ' ') {
        eq++;
      }
      boolean startsParam = at == 0 || " ,\t".indexOf(value.charAt(at - 1)) >= 0;
      if (!startsParam || eq >= value.length() - 1 || value.charAt(eq) != '=') {
        out.append(value, i, at + 5);
        i = at + 5;
        continue;
      }
      int open = eq + 1;
      while (open < value.length() && value.charAt(open) == ' ') {
        open++;
      }
      if (open >= value.length() || value.charAt(open) != '"') {
        out.append(value, i, open);
        i = open;
        continue;
      }
      int close = value.indexOf('"', open + 1);
      if (close < 0) {
        out.append(value, i, value.length());
        return out.toString();
      }
      out.append(value, i, open + 1).append(rewriteUri(value.substring(open + 1, close), scheme, authority)).append('"');
      i = close + 1;
    }
  }

  /** {@code 5; url=...}, optionally quoted. */
  private String rewriteRefresh(String value, String scheme, String authority) {
    int at = value.toLowerCase(Locale.ROOT).indexOf("url=");
    if (at < 0) {
      return value;
    }
    int start = at + 4;
    String url = value.substring(start).trim();
    String quote = "";
    if (!url.isEmpty() && (url.charAt(0) == '\'' || url.charAt(0) == '"')) {
      quote = url.substring(0, 1);
      url = url.substring(1, url.endsWith(quote) && url.length() > 1 ? url.length() - 1 : url.length());
    }
    return value.substring(0, start) + quote + rewriteUri(url, scheme, authority) + quote;
  }
}
