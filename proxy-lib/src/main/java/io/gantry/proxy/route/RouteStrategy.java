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
 * RouteStrategy mine = RouteStrategy.named("header(X-Team)", request -> request.header("X-Team") != null);
 * }</pre>
 *
 * <p>A lambda prints as its class name; give your own strategies a {@code toString()}, or wrap a
 * lambda with {@link #named}, so the table prints the rule.
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

  /** {@code strategy} printed as {@code rule}; see {@link RouteStrategies#named}. */
  static RouteStrategy named(String rule, RouteStrategy strategy) {
    return RouteStrategies.named(rule, strategy);
  }
}
