package io.gantry.proxy;

import io.gantry.proxy.route.HostNames;
import java.util.List;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLSession;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Request;

/**
 * How a request reached gantry, worked out once per request and shared by every later step (the
 * SNI/Host check, routing, forwarding headers, response rewriting, the access log).
 *
 * @param authority {@code host[:port]} as the client addressed gantry: the {@code Host} header, or
 *     on HTTP/2 (which has none) the {@code :authority}; {@code null} when the client sent neither
 * @param host the authority's host: lower case, no port, no trailing dot; empty when unknown
 * @param sniHost the TLS server name the client asked for in its handshake, lower case, or {@code
 *     null} without TLS or SNI
 * @param listener the name of the connector that accepted the request, or {@code null}
 * @param localPort the local port of that connector
 * @param secure whether the request arrived over TLS
 */
public record Arrival(String authority, String host, String sniHost, String listener, int localPort, boolean secure) {

  /** Reads the arrival of a core Jetty request (the servlet engine passes the core request under its own). */
  static Arrival of(Request request) {
    boolean secure = request.isSecure();
    String authority = authority(request, secure);
    Connector connector = request.getConnectionMetaData().getConnector();
    return new Arrival(authority, HostNames.fromAuthority(authority), secure ? sniHost(request) : null,
        connector == null ? null : connector.getName(), Request.getLocalPort(request), secure);
  }

  /** The host routes are matched on: the SNI name when the client sent one, otherwise the authority's host. */
  public String routingHost() {
    return sniHost != null ? sniHost : host;
  }

  /**
   * Whether the client asked for one name in its TLS handshake and another in {@code Host}: the
   * certificate it checked was not for the host it addresses (RFC 9110 15.5.20, 421).
   */
  public boolean misdirected() {
    return sniHost != null && !sniHost.equals(host);
  }

  private static String authority(Request request, boolean secure) {
    String host = request.getHeaders().get(HttpHeader.HOST);
    if (host != null && !host.isBlank()) {
      return host.trim();
    }
    HttpURI uri = request.getHttpURI();
    return HostNames.authority(uri.getHost(), uri.getPort(), secure);
  }

  private static String sniHost(Request request) {
    return request.getAttribute(EndPoint.SslSessionData.ATTRIBUTE) instanceof EndPoint.SslSessionData ssl
        ? sniHost(ssl.sslSession()) : null;
  }

  /** The SNI host name of {@code session}, normalised like every host gantry compares, or {@code null}. */
  static String sniHost(SSLSession session) {
    if (session instanceof ExtendedSSLSession extended) {
      List<SNIServerName> names = extended.getRequestedServerNames();
      for (SNIServerName name : names) {
        if (name instanceof SNIHostName host) {
          return HostNames.normalize(host.getAsciiName());
        }
      }
    }
    return null;
  }
}
