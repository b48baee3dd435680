package io.gantry.server.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Finds routes that can never match because an earlier route accepts every request they would:
 * the earlier route's conditions are each as wide or wider (its listeners, hosts, methods and
 * path prefixes cover the later route's; its user-agent, header and strategy conditions, if any,
 * are the same). A route without conditions shadows everything after it in its scope.
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
    return coversExact(earlier.listeners(), later.listeners(), false)
        && coversHosts(earlier.hosts(), later.hosts())
        && coversExact(earlier.methods(), later.methods(), true)
        && coversPaths(earlier.paths(), later.paths())
        && (earlier.userAgent() == null || earlier.userAgent().equals(later.userAgent()))
        && (earlier.header() == null || sameHeader(earlier, later))
        && (earlier.userStrategy() == null || earlier.userStrategy().equals(later.userStrategy()));
  }

  private static boolean sameHeader(RouteConfig earlier, RouteConfig later) {
    return later.header() != null
        && earlier.header().name().trim().equalsIgnoreCase(later.header().name().trim())
        && Objects.equals(earlier.header().contains(), later.header().contains())
        && Objects.equals(earlier.header().regex(), later.header().regex());
  }

  /** An empty list is no condition: it covers everything and is covered only by no condition. */
  private static boolean coversExact(List<String> earlier, List<String> later, boolean upper) {
    if (earlier.isEmpty()) {
      return true;
    }
    if (later.isEmpty()) {
      return false;
    }
    List<String> e = earlier.stream().map(s -> norm(s, upper)).toList();
    return later.stream().map(s -> norm(s, upper)).allMatch(e::contains);
  }

  private static boolean coversHosts(List<String> earlier, List<String> later) {
    if (earlier.isEmpty()) {
      return true;
    }
    if (later.isEmpty()) {
      return false;
    }
    List<String> e = earlier.stream().map(RouteShadowing::host).toList();
    for (String raw : later) {
      String h = host(raw);
      if (e.contains(h)) {
        continue;
      }
      int dot = h.indexOf('.');
      boolean underWildcard = !h.startsWith("*.") && dot > 0 && dot < h.length() - 1
          && e.contains("*" + h.substring(dot));
      if (!underWildcard) {
        return false;
      }
    }
    return true;
  }

  private static boolean coversPaths(List<String> earlier, List<String> later) {
    if (earlier.isEmpty()) {
      return true;
    }
    if (later.isEmpty()) {
      return false;
    }
    List<String> e = earlier.stream().map(RouteShadowing::prefix).toList();
    return later.stream().map(RouteShadowing::prefix).allMatch(p -> e.stream().anyMatch(p::startsWith));
  }

  private static String norm(String s, boolean upper) {
    String t = s.trim();
    return upper ? t.toUpperCase(Locale.ROOT) : t;
  }

  private static String host(String s) {
    String h = s.trim().toLowerCase(Locale.ROOT);
    return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
  }

  private static String prefix(String s) {
    String p = s.trim();
    return p.endsWith("/") ? p : p + "/";
  }
}
