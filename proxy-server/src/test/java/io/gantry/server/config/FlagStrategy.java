package io.gantry.server.config;

import com.typesafe.config.Config;
import io.gantry.proxy.route.RequestView;
import io.gantry.proxy.route.RouteStrategy;

/** A user strategy configured by its config block: matches requests carrying a header. */
public final class FlagStrategy implements RouteStrategy {
  private final String header;

  public FlagStrategy(Config config) {
    this.header = config.hasPath("header") ? config.getString("header") : "X-Flag";
    if (header.isBlank()) {
      throw new IllegalArgumentException("header: '' (expected: a header name)");
    }
  }

  @Override
  public boolean matches(RequestView request) {
    return request.header(header) != null;
  }

  @Override
  public String toString() {
    return "flag(" + header + ")";
  }
}
