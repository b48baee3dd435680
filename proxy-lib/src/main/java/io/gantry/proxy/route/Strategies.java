package io.gantry.proxy.route;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/** The built-in strategy values; created only through {@link RouteStrategies}. */
final class Strategies {
  private Strategies() {}

  /** A strategy made of others; lets the route table see through {@code &&}. */
  interface Composite {
    List<RouteStrategy> parts();
  }

  enum Any implements RouteStrategy {
    INSTANCE;

    @Override
    public boolean matches(RequestView request) {
      return true;
    }

    @Override
    public String toString() {
      return "any";
    }
  }

  record Port(Set<Integer> ports, List<Integer> order) implements RouteStrategy {
    @Override
    public boolean matches(RequestView request) {
      return ports.contains(request.localPort());
    }

    @Override
    public String toString() {
      return "port(" + join(order) + ")";
    }
  }

  record Listener(Set<String> names, List<String> order) implements RouteStrategy {
    @Override
    public boolean matches(RequestView request) {
      String name = request.listenerName();
      return name != null && names.contains(name);
    }

    @Override
    public String toString() {
      return "listener(" + join(order) + ")";
    }
  }

  /** Exact names plus wildcard suffixes ({@code .example.com} for {@code *.example.com}). */
  record Host(Set<String> exact, Set<String> wildcardSuffixes, List<String> order) implements RouteStrategy {
    @Override
    public boolean matches(RequestView request) {
      return matchesHost(request.host());
    }

    /** The one implementation of host matching: routing, the route table and {@link HostNames#covers}. */
    boolean matchesHost(String host) {
      if (exact.contains(host)) {
        return true;
      }
      if (wildcardSuffixes.isEmpty()) {
        return false;
      }
      String suffix = HostNames.wildcardSuffix(host);
      return suffix != null && wildcardSuffixes.contains(suffix);
    }

    @Override
    public String toString() {
      return "host(" + join(order) + ")";
    }
  }

  record Method(Set<String> methods, List<String> order) implements RouteStrategy {
    @Override
    public boolean matches(RequestView request) {
      return methods.contains(request.method());
    }

    @Override
    public String toString() {
      return "method(" + join(order) + ")";
    }
  }

  /** Prefixes are stored with a trailing slash; {@code /v2/} also matches the bare {@code /v2}. */
  record PathPrefix(List<String> prefixes) implements RouteStrategy {
    @Override
    public boolean matches(RequestView request) {
      String path = request.path();
      for (int i = 0; i < prefixes.size(); i++) {
        String prefix = prefixes.get(i);
        if (path.startsWith(prefix)
            || (path.length() == prefix.length() - 1 && prefix.startsWith(path))) {
          return true;
        }
      }
      return false;
    }

    @Override
    public String toString() {
      return "path(" + join(prefixes) + ")";
    }
  }

  record HeaderContains(String name, String lowerText, String text, boolean userAgent) implements RouteStrategy {
    @Override
    public boolean matches(RequestView request) {
      String value = request.header(name);
      return value != null && containsIgnoreCase(value, lowerText);
    }

    // Header names are case-insensitive (RFC 9110 5.1), and so is the match on the text.
    @Override
    public boolean equals(Object o) {
      return o instanceof HeaderContains h && h.name.equalsIgnoreCase(name) && h.lowerText.equals(lowerText)
          && h.userAgent == userAgent;
    }

    @Override
    public int hashCode() {
      return name.toLowerCase(Locale.ROOT).hashCode() * 31 + lowerText.hashCode();
    }

    @Override
    public String toString() {
      return userAgent ? "userAgent(" + text + ")" : "header(" + name + " contains " + text + ")";
    }
  }

  record HeaderRegex(String name, Pattern pattern, boolean userAgent) implements RouteStrategy {
    @Override
    public boolean matches(RequestView request) {
      String value = request.header(name);
      return value != null && pattern.matcher(value).find();
    }

    // Pattern has identity equality; compare the source instead.
    @Override
    public boolean equals(Object o) {
      return o instanceof HeaderRegex h && h.name.equalsIgnoreCase(name)
          && h.pattern.pattern().equals(pattern.pattern()) && h.userAgent == userAgent;
    }

    @Override
    public int hashCode() {
      return name.toLowerCase(Locale.ROOT).hashCode() * 31 + pattern.pattern().hashCode();
    }

    @Override
    public String toString() {
      // Escape the delimiter so the printed rule reads back unambiguously: /^docker\/2/
      String re = pattern.pattern().replace("/", "\\/");
      return userAgent ? "userAgent(~/" + re + "/)" : "header(" + name + " ~ /" + re + "/)";
    }
  }

  record And(List<RouteStrategy> parts) implements RouteStrategy, Composite {
    @Override
    public boolean matches(RequestView request) {
      for (int i = 0; i < parts.size(); i++) {
        if (!parts.get(i).matches(request)) {
          return false;
        }
      }
      return true;
    }

    @Override
    public String toString() {
      StringBuilder b = new StringBuilder();
      for (RouteStrategy part : parts) {
        if (b.length() > 0) {
          b.append(" && ");
        }
        b.append(part);
      }
      return b.toString();
    }
  }

  record Or(List<RouteStrategy> parts) implements RouteStrategy, Composite {
    @Override
    public boolean matches(RequestView request) {
      for (int i = 0; i < parts.size(); i++) {
        if (parts.get(i).matches(request)) {
          return true;
        }
      }
      return false;
    }

    @Override
    public String toString() {
      StringBuilder b = new StringBuilder("(");
      for (RouteStrategy part : parts) {
        if (b.length() > 1) {
          b.append(" || ");
        }
        b.append(part);
      }
      return b.append(')').toString();
    }
  }

  record Not(RouteStrategy strategy) implements RouteStrategy {
    @Override
    public boolean matches(RequestView request) {
      return !strategy.matches(request);
    }

    @Override
    public String toString() {
      String inner = strategy.toString();
      return strategy instanceof And ? "!(" + inner + ")" : "!" + inner;
    }
  }

  /** A user's strategy (often a lambda) with the rule it implements as its printed form. */
  record Named(String rule, RouteStrategy strategy) implements RouteStrategy {
    @Override
    public boolean matches(RequestView request) {
      return strategy.matches(request);
    }

    @Override
    public String toString() {
      return rule;
    }
  }

  static boolean containsIgnoreCase(String value, String lowerNeedle) {
    int n = lowerNeedle.length();
    int last = value.length() - n;
    for (int i = 0; i <= last; i++) {
      if (value.regionMatches(true, i, lowerNeedle, 0, n)) {
        return true;
      }
    }
    return false;
  }

  private static String join(List<?> values) {
    StringBuilder b = new StringBuilder();
    for (Object v : values) {
      if (b.length() > 0) {
        b.append(',');
      }
      b.append(v);
    }
    return b.toString();
  }
}
