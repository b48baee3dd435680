package io.gantry.server.config;

import io.gantry.proxy.route.RequestView;
import io.gantry.proxy.route.RouteStrategy;

/** A user strategy with only a no-argument constructor. */
public final class AlwaysStrategy implements RouteStrategy {
  public AlwaysStrategy() {}

  @Override
  public boolean matches(RequestView request) {
    return true;
  }

  @Override
  public String toString() {
    return "always";
  }
}
