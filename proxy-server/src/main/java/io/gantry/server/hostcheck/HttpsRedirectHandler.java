package io.gantry.server.hostcheck;

import io.gantry.proxy.route.HostNames;
import java.util.Set;
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
  private final java.util.Map<String, Integer> httpsPortByListener;

  public HttpsRedirectHandler(Handler next, java.util.Map<String, Integer> httpsPortByListener) {
    super(next);
    this.httpsPortByListener = java.util.Map.copyOf(httpsPortByListener);
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    if (!request.isSecure() && !httpsPortByListener.isEmpty()) {
      var connector = request.getConnectionMetaData().getConnector();
      Integer port = connector == null ? null : httpsPortByListener.get(connector.getName());
      if (port != null) {
        String host = HostNames.fromAuthority(request.getHeaders().get(HttpHeader.HOST));
        if (host.isEmpty()) {
          host = HostNames.fromAuthority(request.getHttpURI().getAuthority());
        }
        String pathQuery = request.getHttpURI().getPathQuery();
        String location = "https://" + host + (port == 443 ? "" : ":" + port) + (pathQuery == null ? "/" : pathQuery);
        response.setStatus(Set.of("GET", "HEAD").contains(request.getMethod()) ? 301 : 308);
        response.getHeaders().put(HttpHeader.LOCATION, location);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, 0);
        callback.succeeded();
        return true;
      }
    }
    return super.handle(request, response, callback);
  }
}
