package io.gantry.server.admin;

import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * A handler that declines every request on the admin connector, so that a proxy context placed
 * after the admin context never serves the admin port, whatever listeners a reload adds.
 */
public final class NotOnAdmin extends Handler.Wrapper {
  public NotOnAdmin(Handler next) {
    super(next);
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    Connector connector = request.getConnectionMetaData().getConnector();
    if (connector != null && AdminServer.CONNECTOR_NAME.equals(connector.getName())) {
      return false;
    }
    return super.handle(request, response, callback);
  }
}
