package io.gantry.server.redirect;

import io.gantry.proxy.route.HostNames;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Sends plain-HTTP requests on the given listeners to HTTPS on another port: 301 for GET and
 * HEAD, 308 for other methods so a client repeats its PUT or POST with the body.
 */
public final class HttpsRedirectHandler extends Handler.Wrapper {
  private volatile java.util.Map<String, Integer> httpsPortByListener;

  public HttpsRedirectHandler(Handler next, java.util.Map<String, Integer> httpsPortByListener) {
    super(next);
    this.httpsPortByListener = java.util.Map.copyOf(httpsPortByListener);
  }

  /** Replaces the redirecting listeners (a reload); requests already here keep the old answer. */
  public void setRedirects(java.util.Map<String, Integer> httpsPortByListener) {
    this.httpsPortByListener = java.util.Map.copyOf(httpsPortByListener);
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    java.util.Map<String, Integer> httpsPortByListener = this.httpsPortByListener;
    if (!request.isSecure() && !httpsPortByListener.isEmpty()) {
      var connector = request.getConnectionMetaData().getConnector();
      Integer port = connector == null ? null : httpsPortByListener.get(connector.getName());
      if (port != null) {
        String host = HostNames.fromAuthority(request.getHeaders().get(HttpHeader.HOST));
        if (host.isEmpty()) {
          host = HostNames.fromAuthority(request.getHttpURI().getAuthority());
        }
        response.setStatus(HttpsRedirects.status(request.getMethod()));
        response.getHeaders().put(HttpHeader.LOCATION, HttpsRedirects.location(host, port, request.getHttpURI().getPathQuery()));
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, 0);
        callback.succeeded();
        return true;
      }
    }
    return super.handle(request, response, callback);
  }
}
