package io.gantry.proxy;

import io.gantry.proxy.header.ForwardedHeaders;
import io.gantry.proxy.header.ResponseHeaderRewriter;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;

/**
 * Which headers cross the proxy, in both directions, for both engines. Hop-by-hop headers (RFC
 * 9110 7.6.1) describe one connection and end here, together with every header the {@code
 * Connection} header names; forwarding headers and the request id are gantry's to set; the
 * backend's {@code Date} and {@code Server} stay behind; headers naming the backend are rewritten.
 */
final class ProxiedHeaders {
  static final String REQUEST_ID = "X-Request-Id";
  private static final EnumSet<HttpHeader> HOP_BY_HOP = EnumSet.of(HttpHeader.CONNECTION, HttpHeader.KEEP_ALIVE,
      HttpHeader.PROXY_AUTHORIZATION, HttpHeader.PROXY_AUTHENTICATE, HttpHeader.PROXY_CONNECTION,
      HttpHeader.TRANSFER_ENCODING, HttpHeader.TE, HttpHeader.TRAILER, HttpHeader.UPGRADE);

  /** Receives a response header for the client: the upstream's field and the value to send. */
  @FunctionalInterface
  interface Sink {
    void add(HttpField upstreamField, String value);
  }

  private ProxiedHeaders() {}

  /** Copies the client's request headers that go upstream, then sets the request id and Host. */
  static void copyRequestHeaders(HttpFields client, ProxyExchange exchange, HttpFields.Mutable upstream) {
    Set<String> connectionTokens = connectionTokens(client);
    for (HttpField field : client) {
      if (isHopByHop(field, connectionTokens)) {
        continue;
      }
      String lower = field.getLowerCaseName();
      if (ForwardedHeaders.OWNED.contains(lower) || lower.equals("x-request-id")) {
        continue;
      }
      upstream.add(field);
    }
    upstream.put(REQUEST_ID, exchange.requestId());
    if (!upstream.contains(HttpHeader.HOST) && exchange.authority() != null) {
      // HTTP/2 clients send :authority, not Host; registries build their URLs from Host.
      upstream.put(HttpHeader.HOST, exchange.authority());
    }
  }

  /**
   * Hands the upstream's response headers that reach the client to {@code sink}, with the values
   * of {@code Location}, {@code Link} and the like rewritten to the client's scheme and authority.
   */
  static void copyResponseHeaders(HttpFields upstream, ResponseHeaderRewriter rewriter, String scheme,
      String authority, Sink sink) {
    Set<String> connectionTokens = connectionTokens(upstream);
    String clientAuthority = authority == null ? "" : authority.toLowerCase(Locale.ROOT);
    for (HttpField field : upstream) {
      HttpHeader known = field.getHeader();
      if (known == HttpHeader.DATE || known == HttpHeader.SERVER || isHopByHop(field, connectionTokens)) {
        continue;
      }
      String name = field.getName();
      String value = ResponseHeaderRewriter.rewrites(name)
          ? rewriter.rewrite(name, field.getValue(), scheme, clientAuthority) : field.getValue();
      if (value != null) {
        sink.add(field, value);
      }
    }
  }

  /** All values of a request header, comma-joined, or {@code null}. */
  static String joined(HttpFields fields, String name) {
    String first = null;
    StringBuilder more = null;
    for (HttpField field : fields) {
      if (field.is(name)) {
        if (first == null) {
          first = field.getValue();
        } else {
          if (more == null) {
            more = new StringBuilder(first);
          }
          more.append(", ").append(field.getValue());
        }
      }
    }
    return more != null ? more.toString() : first;
  }

  private static boolean isHopByHop(HttpField field, Set<String> connectionTokens) {
    HttpHeader header = field.getHeader();
    return (header != null && HOP_BY_HOP.contains(header))
        || (connectionTokens != null && connectionTokens.contains(field.getLowerCaseName()));
  }

  /**
   * The lower-case names the {@code Connection} headers list, or {@code null} when none, leaving
   * out {@code close} and the hop-by-hop names that end here anyway: most upstreams answer every
   * request with {@code Connection: keep-alive}, and that costs no set.
   */
  private static Set<String> connectionTokens(HttpFields fields) {
    Set<String> tokens = null;
    for (HttpField field : fields) {
      if (field.getHeader() != HttpHeader.CONNECTION || namesNoOtherHeader(field.getValue())) {
        continue;
      }
      for (String token : field.getValues()) {
        if (namesNoOtherHeader(token)) {
          continue;
        }
        if (tokens == null) {
          tokens = new HashSet<>();
        }
        tokens.add(token.trim().toLowerCase(Locale.ROOT));
      }
    }
    return tokens;
  }

  private static boolean namesNoOtherHeader(String token) {
    String name = token.trim();
    HttpHeader known = HttpHeader.CACHE.get(name);
    return name.equalsIgnoreCase("close") || known != null && HOP_BY_HOP.contains(known);
  }
}
