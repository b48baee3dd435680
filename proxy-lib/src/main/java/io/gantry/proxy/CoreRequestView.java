package io.gantry.proxy;

import io.gantry.proxy.route.RequestView;
import org.eclipse.jetty.server.Request;

/** A core Jetty request seen through {@link RequestView}; host and listener come from its {@link Arrival}. */
record CoreRequestView(Request request, Arrival arrival, String path) implements RequestView {
  @Override
  public String method() {
    return request.getMethod();
  }

  @Override
  public String host() {
    return arrival.routingHost();
  }

  @Override
  public int localPort() {
    return arrival.localPort();
  }

  @Override
  public String listenerName() {
    return arrival.listener();
  }

  @Override
  public String header(String name) {
    return request.getHeaders().get(name);
  }

  @Override
  public boolean secure() {
    return arrival.secure();
  }

  @Override
  public String clientAddress() {
    return Request.getRemoteAddr(request);
  }
}
