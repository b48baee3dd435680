package io.gantry.proxy;

import jakarta.servlet.ServletRequest;
import java.util.List;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLSession;
import org.eclipse.jetty.io.EndPoint;

/** Reads the TLS SNI host name a client asked for. */
public final class Sni {
  private Sni() {}

  /** The SNI host name of the request's TLS session, lower case, or {@code null} without TLS or SNI. */
  public static String hostName(ServletRequest request) {
    Object data = request.getAttribute(EndPoint.SslSessionData.ATTRIBUTE);
    return data instanceof EndPoint.SslSessionData ssl ? hostName(ssl.sslSession()) : null;
  }

  /** The SNI host name of a core Jetty request's TLS session, lower case, or {@code null}. */
  public static String hostName(org.eclipse.jetty.server.Request request) {
    Object data = request.getAttribute(EndPoint.SslSessionData.ATTRIBUTE);
    return data instanceof EndPoint.SslSessionData ssl ? hostName(ssl.sslSession()) : null;
  }

  /** The SNI host name of {@code session}, lower case, or {@code null}. */
  public static String hostName(SSLSession session) {
    if (session instanceof ExtendedSSLSession extended) {
      List<SNIServerName> names = extended.getRequestedServerNames();
      for (SNIServerName name : names) {
        if (name instanceof SNIHostName host) {
          return io.gantry.proxy.route.HostNames.normalize(host.getAsciiName());
        }
      }
    }
    return null;
  }
}
