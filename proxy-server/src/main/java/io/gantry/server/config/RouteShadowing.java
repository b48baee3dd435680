package io.gantry.server.config;

import io.gantry.proxy.path.PathNormalizer;
import io.gantry.proxy.path.UnsafePathException;
import io.gantry.proxy.route.HostNames;
import io.gantry.proxy.route.RequestView;
import io.gantry.proxy.route.RouteStrategies;
import io.gantry.proxy.route.RouteStrategy;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * Finds routes that can never match because an earlier route accepts every request they would:
 * the earlier route's conditions are each as wide or wider (its listeners, hosts, methods and
 * path prefixes cover the later route's; its user-agent, header and strategy conditions, if any,
 * are the same). A route without conditions shadows everything after it in its scope.
 *
 * <p>Whether one condition covers another is asked of the library's own strategies, so a warning
 * here never disagrees with routing: each value of the later condition, put in a request, must
 * match the earlier condition.
 */
final class RouteShadowing {
  private RouteShadowing() {}

  /** A route that never matches, and the first earlier route that takes all its requests. */
  record Shadow(RouteConfig shadowed, RouteConfig earlier) {}

  static List<Shadow> find(List<RouteConfig> routes) {
    List<Shadow> out = new ArrayList<>();
    for (int j = 0; j < routes.size(); j++) {
      for (int i = 0; i < j; i++) {
        if (covers(routes.get(i), routes.get(j))) {
          out.add(new Shadow(routes.get(j), routes.get(i)));
          break;
        }
      }
    }
    return out;
  }

  /** Whether every request matching {@code later} also matches {@code earlier}. */
  static boolean covers(RouteConfig earlier, RouteConfig later) {
    return covers(earlier.listeners(), later.listeners(), RouteStrategies::listener,
            (request, name) -> request.listenerName(name.trim()))
        && coversHosts(earlier.hosts(), later.hosts())
        && covers(earlier.methods(), later.methods(), RouteStrategies::method,
            (request, method) -> request.method(method.trim().toUpperCase(Locale.ROOT)))
        && covers(earlier.paths(), later.paths(), RouteStrategies::pathPrefix,
            (request, prefix) -> request.path(normalized(prefix)))
        && (earlier.userAgent() == null || earlier.userAgent().equals(later.userAgent()))
        && (earlier.header() == null || sameHeader(earlier, later))
        && (earlier.userStrategy() == null || earlier.userStrategy().equals(later.userStrategy()));
  }

  /**
   * Whether the earlier condition matches a request with each of the later condition's values. An
   * empty list is no condition: it covers everything and is covered only by no condition.
   */
  private static boolean covers(List<String> earlier, List<String> later, Function<String[], RouteStrategy> strategy,
      BiFunction<RequestView.Builder, String, RequestView.Builder> request) {
    if (earlier.isEmpty()) {
      return true;
    }
    if (later.isEmpty()) {
      return false;
    }
    RouteStrategy condition = strategy.apply(earlier.toArray(String[]::new));
    return later.stream().allMatch(value -> condition.matches(request.apply(RequestView.builder(), value).build()));
  }

  /** Like {@link #covers}, for hosts, where a later wildcard stands for every host under it. */
  private static boolean coversHosts(List<String> earlier, List<String> later) {
    if (earlier.isEmpty()) {
      return true;
    }
    return !later.isEmpty() && later.stream().allMatch(host -> HostNames.covers(earlier, host));
  }

  /** A path prefix in the form request paths are matched in; a later prefix "/v2" stands for "/v2" and below. */
  private static String normalized(String prefix) {
    try {
      return PathNormalizer.normalize(prefix.trim());
    } catch (UnsafePathException e) {
      return prefix.trim(); // not reached: the route's own strategy accepted the prefix
    }
  }

  private static boolean sameHeader(RouteConfig earlier, RouteConfig later) {
    return later.header() != null
        && earlier.header().name().trim().equalsIgnoreCase(later.header().name().trim())
        && Objects.equals(earlier.header().contains(), later.header().contains())
        && Objects.equals(earlier.header().regex(), later.header().regex());
  }
}
