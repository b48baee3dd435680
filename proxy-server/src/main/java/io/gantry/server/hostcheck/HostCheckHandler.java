package io.gantry.server.hostcheck;

import io.gantry.proxy.ErrorResponses;
import io.gantry.proxy.Sni;
import io.gantry.proxy.route.HostNames;
import io.gantry.proxy.route.RouteTable;
import java.nio.ByteBuffer;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Refuses requests that arrive at the wrong virtual host before any routing or backend contact.
 *
 * <ul>
 *   <li>On TLS, the {@code Host} (port ignored) must name exactly the SNI host name the client
 *       asked for in its handshake, otherwise 421 Misdirected Request (RFC 9110 15.5.20). Jetty's
 *       own check compares Host with the <em>certificate</em>, so a wildcard certificate would let
 *       SNI {@code a.example.com} + Host {@code b.example.com} through; gantry compares the names.
 *   <li>A host that no route on this listener accepts gets 421 on TLS (the client should try
 *       another connection) and 404 on a plain listener.
 * </ul>
 *
 * A client without SNI is routed by its Host alone.
 */
public final class HostCheckHandler extends Handler.Wrapper {
  private final Supplier<RouteTable> routes;
  private final Consumer<String> onMisdirected;

  /**
   * @param routes the current route table (swappable)
   * @param onMisdirected told the listener name of every 421, for metrics
   */
  public HostCheckHandler(Handler next, Supplier<RouteTable> routes, Consumer<String> onMisdirected) {
    super(next);
    this.routes = routes;
    this.onMisdirected = onMisdirected;
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    String authority = request.getHeaders().get(HttpHeader.HOST);
    if (authority == null) {
      authority = request.getHttpURI().getAuthority(); // HTTP/2 carries it in :authority
    }
    String host = HostNames.fromAuthority(authority);
    boolean secure = request.isSecure();
    Connector connector = request.getConnectionMetaData().getConnector();
    String listener = connector == null ? null : connector.getName();
    if (secure) {
      Object ssl = request.getAttribute(EndPoint.SslSessionData.ATTRIBUTE);
      String sni = ssl instanceof EndPoint.SslSessionData data ? Sni.hostName(data.sslSession()) : null;
      if (sni != null && !sni.equals(host)) {
        return refuse(request, response, callback, 421, "this connection is for " + sni + ", not " + hostForMessage(host), listener);
      }
    }
    int port = Request.getLocalPort(request);
    if (!routes.get().acceptsHost(host, port, listener)) {
      return secure
          ? refuse(request, response, callback, 421, "no routes for " + hostForMessage(host) + " on this port", listener)
          : refuse(request, response, callback, 404, "no routes for " + hostForMessage(host) + " on this port", listener);
    }
    return super.handle(request, response, callback);
  }

  private static String hostForMessage(String host) {
    if (host.isEmpty()) {
      return "an empty host";
    }
    // Echo only a tame host name: it ends up in a response body.
    return host.length() <= 253 && host.matches("[a-z0-9.:\\[\\]_-]+") ? host : "this host";
  }

  private boolean refuse(Request request, Response response, Callback callback, int status, String message, String listener) {
    if (status == 421) {
      onMisdirected.accept(listener == null ? "-" : listener);
    }
    ErrorResponses.Body body = ErrorResponses.body(status, request.getHttpURI().getPath(), message);
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, body.contentType());
    if (body.registry()) {
      response.getHeaders().put("Docker-Distribution-Api-Version", "registry/2.0");
    }
    if (status == 421) {
      // The client should open a new connection for the other name.
      response.getHeaders().put(HttpHeader.CONNECTION, "close");
    }
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.bytes().length);
    response.write(true, ByteBuffer.wrap(body.bytes()), callback);
    return true;
  }
}
