package io.gantry.proxy;

import io.gantry.proxy.route.HostNames;
import io.gantry.proxy.route.RequestView;
import jakarta.servlet.http.HttpServletRequest;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.server.Connector;

/** A live request seen through {@link RequestView}; host and listener are read once. */
final class ServletRequestView implements RequestView {
  private final HttpServletRequest request;
  private final String host;
  private final String path;

  ServletRequestView(HttpServletRequest request, String host, String path) {
    this.request = request;
    this.host = host;
    this.path = path;
  }

  /** The routing host: the SNI name on TLS when present, otherwise the Host header. */
  static String routingHost(HttpServletRequest request) {
    if (request.isSecure()) {
      String sni = Sni.hostName(request);
      if (sni != null) {
        return sni;
      }
    }
    return HostNames.fromAuthority(authority(request));
  }

  /**
   * {@code host[:port]} as the client addressed gantry: the {@code Host} header, or on HTTP/2
   * (which has none) the {@code :authority} Jetty exposes as server name and port.
   */
  static String authority(HttpServletRequest request) {
    String host = request.getHeader("Host");
    if (host != null && !host.isBlank()) {
      return host.trim();
    }
    return HostNames.authority(request.getServerName(), request.getServerPort(), request.isSecure());
  }

  @Override
  public String method() {
    return request.getMethod();
  }

  @Override
  public String host() {
    return host;
  }

  @Override
  public String path() {
    return path;
  }

  @Override
  public int localPort() {
    return request.getLocalPort();
  }

  @Override
  public String listenerName() {
    ServletContextRequest base = ServletContextRequest.getServletContextRequest(request);
    if (base == null) {
      return null;
    }
    Connector connector = base.getConnectionMetaData().getConnector();
    return connector == null ? null : connector.getName();
  }

  @Override
  public String header(String name) {
    return request.getHeader(name);
  }

  @Override
  public boolean secure() {
    return request.isSecure();
  }
}
