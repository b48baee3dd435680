package io.gantry.server.config;

/** A class that is not a RouteStrategy, named in a config by mistake. */
public final class NotAStrategy {
  public NotAStrategy() {}
}
