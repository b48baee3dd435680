package io.gantry.proxy;

import io.gantry.proxy.route.HostNames;
import io.gantry.proxy.route.RequestView;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Request;

/** A core Jetty request seen through {@link RequestView}; host and path are resolved once. */
final class CoreRequestView implements RequestView {
  private final Request request;
  private final String host;
  private final String path;

  CoreRequestView(Request request, String host, String path) {
    this.request = request;
    this.host = host;
    this.path = path;
  }

  /** The routing host: the SNI name on TLS when present, otherwise the authority's host. */
  static String routingHost(Request request, String authority) {
    if (request.isSecure()) {
      String sni = Sni.hostName(request);
      if (sni != null) {
        return sni;
      }
    }
    return HostNames.fromAuthority(authority);
  }

  /**
   * {@code host[:port]} as the client addressed gantry: the {@code Host} header, or on HTTP/2
   * (which has none) the {@code :authority} Jetty keeps in the request URI.
   */
  static String authority(Request request) {
    String host = request.getHeaders().get(HttpHeader.HOST);
    if (host != null && !host.isBlank()) {
      return host.trim();
    }
    HttpURI uri = request.getHttpURI();
    return HostNames.authority(uri.getHost(), uri.getPort(), request.isSecure());
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
    return Request.getLocalPort(request);
  }

  @Override
  public String listenerName() {
    Connector connector = request.getConnectionMetaData().getConnector();
    return connector == null ? null : connector.getName();
  }

  @Override
  public String header(String name) {
    return request.getHeaders().get(name);
  }

  @Override
  public boolean secure() {
    return request.isSecure();
  }
}
