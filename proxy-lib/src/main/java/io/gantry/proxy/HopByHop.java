package io.gantry.proxy;

import java.util.EnumSet;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;

/**
 * Hop-by-hop headers (RFC 9110 7.6.1): they describe one connection and end at the proxy, in
 * both directions, together with every header the {@code Connection} header names.
 */
final class HopByHop {
  private static final EnumSet<HttpHeader> HEADERS = EnumSet.of(HttpHeader.CONNECTION, HttpHeader.KEEP_ALIVE,
      HttpHeader.PROXY_AUTHORIZATION, HttpHeader.PROXY_AUTHENTICATE, HttpHeader.PROXY_CONNECTION,
      HttpHeader.TRANSFER_ENCODING, HttpHeader.TE, HttpHeader.TRAILER, HttpHeader.UPGRADE);

  private HopByHop() {}

  /** Whether {@code field} is hop-by-hop by name; Jetty knows all of them, so no string compare. */
  static boolean isHopByHop(HttpField field) {
    HttpHeader header = field.getHeader();
    return header != null && HEADERS.contains(header);
  }

  /** The lower-case names the {@code Connection} headers list, or {@code null} when none. */
  static Set<String> connectionTokens(HttpFields fields) {
    Set<String> tokens = null;
    for (HttpField field : fields) {
      if (field.getHeader() == HttpHeader.CONNECTION) {
        for (String token : field.getValues()) {
          if (tokens == null) {
            tokens = new HashSet<>();
          }
          tokens.add(token.trim().toLowerCase(Locale.ROOT));
        }
      }
    }
    return tokens;
  }
}
