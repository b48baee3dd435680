package io.gantry.proxy;

import io.gantry.proxy.route.RequestView;
import org.eclipse.jetty.server.Request;

/** A core Jetty request seen through {@link RequestView}; host and listener come from its {@link Arrival}. */
final class CoreRequestView implements RequestView {
  private final Request request;
  private final Arrival arrival;
  private final String path;

  CoreRequestView(Request request, Arrival arrival, String path) {
    this.request = request;
    this.arrival = arrival;
    this.path = path;
  }

  @Override
  public String method() {
    return request.getMethod();
  }

  @Override
  public String host() {
    return arrival.routingHost();
  }

  @Override
  public String path() {
    return path;
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
}
