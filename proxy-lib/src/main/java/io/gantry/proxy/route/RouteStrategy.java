package io.gantry.proxy.route;

/**
 * Decides whether a request belongs to a route: the pluggable part of gantry's routing.
 *
 * <p>Built-in strategies come from {@link RouteStrategies}; a user's own strategy is any
 * implementation of this interface. Implementations must be immutable, thread-safe and cheap:
 * {@link #matches} runs on every request. A good {@code toString()} reads like the rule a user
 * would write, because the route table prints it.
 *
 * <pre>{@code
 * RouteStrategy pull = host("registry.example.com").and(method("GET", "HEAD"));
 * RouteStrategy uiOrAgents = pathPrefix("/v2/", "/v1/").or(userAgent("docker"));
 * RouteStrategy mine = request -> request.header("X-Team") != null;   // a user's own
 * }</pre>
 */
@FunctionalInterface
public interface RouteStrategy {

  /** Whether {@code request} matches this strategy. */
  boolean matches(RequestView request);

  /** A strategy matching when this one and {@code other} both match ({@code a && b}). */
  default RouteStrategy and(RouteStrategy other) {
    return RouteStrategies.and(this, other);
  }

  /** A strategy matching when this one or {@code other} matches ({@code a || b}). */
  default RouteStrategy or(RouteStrategy other) {
    return RouteStrategies.or(this, other);
  }

  /** A strategy matching when this one does not ({@code !a}). */
  default RouteStrategy negate() {
    return RouteStrategies.not(this);
  }
}
