package io.gantry.proxy.route;

import java.util.Map;

/** A {@link RequestView} that is not backed by a live request. */
record DetachedRequestView(
    String method,
    String host,
    String path,
    int localPort,
    String listenerName,
    boolean secure,
    String clientAddress,
    Map<String, String> headers)
    implements RequestView {

  @Override
  public String header(String name) {
    return headers.get(name);
  }
}
