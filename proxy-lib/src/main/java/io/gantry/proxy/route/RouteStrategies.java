package io.gantry.proxy.route;

import io.gantry.proxy.path.PathNormalizer;
import io.gantry.proxy.path.UnsafePathException;
import io.gantry.proxy.validation.InvalidSettingException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The built-in {@link RouteStrategy route strategies}, one static factory per kind. Every factory
 * validates and normalises its arguments once, so matching does no parsing. Invalid input throws
 * {@link InvalidSettingException} (an {@link IllegalArgumentException}) whose setting is the kind
 * of condition ({@code port}, {@code listener}, {@code host}, {@code method}, {@code path}) or the
 * parameter ({@code name}, {@code text}, {@code regex}, {@code strategies}) and whose message reads
 * {@code "host: 'a..b' (expected: ...)"}.
 *
 * <pre>{@code
 * import static io.gantry.proxy.route.RouteStrategies.*;
 *
 * RouteStrategy pushPort = port(8086);
 * RouteStrategy pull = host("registry.example.com").and(method("GET", "HEAD"));
 * RouteStrategy registryApi = host("nexus.example.com").and(pathPrefix("/v2/", "/v1/").or(userAgent("docker")));
 * System.out.println(pull);   // host(registry.example.com) && method(GET,HEAD)
 * }</pre>
 */
public final class RouteStrategies {
  private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
  private static final Pattern LABEL = Pattern.compile("[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?");

  private RouteStrategies() {}

  /** Matches every request. */
  public static RouteStrategy any() {
    return Strategies.Any.INSTANCE;
  }

  /** Matches requests accepted on one of the given local ports. */
  public static RouteStrategy port(int... ports) {
    if (ports.length == 0) {
      throw new InvalidSettingException("port", "none given (expected: at least one port)");
    }
    Set<Integer> set = new LinkedHashSet<>();
    for (int p : ports) {
      if (p < 1 || p > 65535) {
        throw new InvalidSettingException("port", p + " (expected: 1-65535)");
      }
      if (!set.add(p)) {
        throw new InvalidSettingException("port", p + " given twice");
      }
    }
    return new Strategies.Port(Set.copyOf(set), List.copyOf(set));
  }

  /** Matches requests accepted by one of the named listeners (connectors). */
  public static RouteStrategy listener(String... names) {
    List<String> list = distinct("listener", names, name -> {
      if (name.isBlank()) {
        throw new InvalidSettingException("listener", "'' (expected: a listener name)");
      }
      return name.trim();
    });
    return new Strategies.Listener(Set.copyOf(list), list);
  }

  /**
   * Matches requests for one of the given host names: exact names (case-insensitive, a trailing dot
   * ignored) or {@code *.example.com} wildcards, which match exactly one label as RFC 6125 says
   * ({@code a.example.com}, not {@code example.com} nor {@code a.b.example.com}).
   */
  public static RouteStrategy host(String... hosts) {
    return hostStrategy(hosts);
  }

  /** {@link #host}, typed for the package's own questions about hosts ({@link HostNames#covers}). */
  static Strategies.Host hostStrategy(String... hosts) {
    List<String> list = distinct("host", hosts, RouteStrategies::normalizeHostPattern);
    Set<String> exact = new LinkedHashSet<>();
    Set<String> suffixes = new LinkedHashSet<>();
    for (String h : list) {
      if (h.startsWith("*.")) {
        suffixes.add(h.substring(1));
      } else {
        exact.add(h);
      }
    }
    return new Strategies.Host(Set.copyOf(exact), Set.copyOf(suffixes), list);
  }

  /**
   * Matches requests whose method is one of the given ones (upper-cased; {@code HEAD} is its own
   * method and is not implied by {@code GET}).
   */
  public static RouteStrategy method(String... methods) {
    List<String> list = distinct("method", methods, m -> {
      String upper = m.trim().toUpperCase(Locale.ROOT);
      if (!TOKEN.matcher(upper).matches()) {
        throw new InvalidSettingException("method", "'" + m + "' (expected: an HTTP method token such as GET)");
      }
      return upper;
    });
    return new Strategies.Method(Set.copyOf(list), list);
  }

  /**
   * Matches requests whose normalised path lies under one of the prefixes, segment by segment:
   * {@code /v2/} matches {@code /v2}, {@code /v2/} and {@code /v2/x}, never {@code /v2x}.
   */
  public static RouteStrategy pathPrefix(String... prefixes) {
    List<String> list = distinct("path", prefixes, p -> prefix("path", p));
    return new Strategies.PathPrefix(list);
  }

  /**
   * A path prefix in {@link PathNormalizer}'s form, ending in {@code /}; refused with {@code
   * setting} named when it is not a normalised absolute path.
   */
  static String prefix(String setting, String p) {
    String t = p.trim();
    if (!t.startsWith("/")) {
      throw new InvalidSettingException(setting, "'" + p + "' (expected: starts with '/')");
    }
    if (t.contains("?") || t.contains("#") || t.contains("/./") || t.contains("/../")
        || t.endsWith("/..") || t.endsWith("/.") || t.contains("//")) {
      throw new InvalidSettingException(setting, "'" + p + "' (expected: a normalised path prefix such as /v2/)");
    }
    // Request paths are matched in PathNormalizer's form (%76%32 is v2, hex upper case, non-ASCII
    // encoded), so the prefix must be in that form too or it never matches.
    String normal;
    try {
      normal = PathNormalizer.normalize(t);
    } catch (UnsafePathException e) {
      throw new InvalidSettingException(setting, "'" + p + "' (expected: a normalised path prefix such as /v2/: "
          + e.getMessage() + ")");
    }
    return normal.endsWith("/") ? normal : normal + "/";
  }

  /** Matches requests carrying header {@code name} whose value contains {@code text}, ignoring case. */
  public static RouteStrategy header(String name, String text) {
    String header = headerName(name);
    if (text == null || text.isEmpty()) {
      throw new InvalidSettingException("text", "'' for header " + header + " (expected: some text)");
    }
    return new Strategies.HeaderContains(header, text.toLowerCase(Locale.ROOT), text, false);
  }

  /** Matches requests carrying header {@code name} with a value in which {@code regex} is found. */
  public static RouteStrategy headerMatching(String name, String regex) {
    String header = headerName(name);
    return new Strategies.HeaderRegex(header, compile(regex), false);
  }

  /** Shorthand for {@code header("User-Agent", text)}: case-insensitive substring. */
  public static RouteStrategy userAgent(String text) {
    if (text == null || text.isEmpty()) {
      throw new InvalidSettingException("text", "'' for User-Agent (expected: some text)");
    }
    return new Strategies.HeaderContains("User-Agent", text.toLowerCase(Locale.ROOT), text, true);
  }

  /** Shorthand for {@code headerMatching("User-Agent", regex)}. */
  public static RouteStrategy userAgentMatching(String regex) {
    return new Strategies.HeaderRegex("User-Agent", compile(regex), true);
  }

  /** Matches when every one of the strategies matches; evaluated left to right. */
  public static RouteStrategy and(RouteStrategy... strategies) {
    List<RouteStrategy> parts = flatten(strategies, Strategies.And.class);
    return parts.size() == 1 ? parts.get(0) : new Strategies.And(parts);
  }

  /** Matches when one of the strategies matches; evaluated left to right. */
  public static RouteStrategy or(RouteStrategy... strategies) {
    List<RouteStrategy> parts = flatten(strategies, Strategies.Or.class);
    return parts.size() == 1 ? parts.get(0) : new Strategies.Or(parts);
  }

  /**
   * {@code strategy} under the name of the rule it implements, so that the route table, {@code
   * /routes} and {@code gantry explain} print {@code rule} instead of a lambda's class name.
   * Equal when both the rule and the strategy are.
   *
   * <pre>{@code
   * RouteStrategy teamA = named("team(a)", request -> request.path().startsWith("/v2/team-a/"));
   * }</pre>
   */
  public static RouteStrategy named(String rule, RouteStrategy strategy) {
    if (rule == null || rule.isBlank()) {
      throw new InvalidSettingException("rule", "'" + rule + "' (expected: the rule as a user would write it)");
    }
    if (strategy == null) {
      throw new InvalidSettingException("strategy", "null (expected: a strategy)");
    }
    return new Strategies.Named(rule.trim(), strategy);
  }

  /** Matches when {@code strategy} does not. */
  public static RouteStrategy not(RouteStrategy strategy) {
    if (strategy == null) {
      throw new InvalidSettingException("strategy", "null (expected: a strategy)");
    }
    return strategy instanceof Strategies.Not n ? n.strategy() : new Strategies.Not(strategy);
  }

  private static List<RouteStrategy> flatten(RouteStrategy[] strategies, Class<?> kind) {
    if (strategies.length == 0) {
      throw new InvalidSettingException("strategies", "none given (expected: at least one)");
    }
    List<RouteStrategy> parts = new ArrayList<>();
    for (int i = 0; i < strategies.length; i++) {
      RouteStrategy s = strategies[i];
      if (s == null) {
        throw new InvalidSettingException("strategies", "null strategy at index " + i + " (expected: a strategy)");
      }
      if (kind.isInstance(s)) {
        parts.addAll(((Strategies.Composite) s).parts());
      } else if (s != Strategies.Any.INSTANCE || kind != Strategies.And.class) {
        parts.add(s);
      }
    }
    if (parts.isEmpty()) {
      parts.add(Strategies.Any.INSTANCE); // and(any, any) is any
    }
    if (kind == Strategies.Or.class && parts.contains(Strategies.Any.INSTANCE)) {
      return List.of(Strategies.Any.INSTANCE);
    }
    return List.copyOf(parts);
  }

  private static String normalizeHostPattern(String raw) {
    String h = HostNames.normalize(raw.trim());
    String rest = h.startsWith("*.") ? h.substring(2) : h;
    if (rest.isEmpty() || rest.contains("*")) {
      throw new InvalidSettingException("host", "'" + raw
          + "' (expected: a host name, or '*.' followed by a domain, such as *.example.com)");
    }
    if (rest.startsWith("[") && rest.endsWith("]")) {
      return h; // IPv6 literal
    }
    for (String label : rest.split("\\.", -1)) {
      if (label.length() > 63 || !LABEL.matcher(label).matches()) {
        throw new InvalidSettingException("host", "'" + raw
            + "' (expected: a host name of letters, digits and hyphens such as registry.example.com)");
      }
    }
    if (h.startsWith("*.") && !rest.contains(".")) {
      throw new InvalidSettingException("host", "'" + raw
          + "' (expected: a wildcard over a domain with at least two labels, such as *.example.com)");
    }
    return h;
  }

  private static String headerName(String name) {
    if (name == null || !TOKEN.matcher(name.trim()).matches()) {
      throw new InvalidSettingException("name", "'" + name + "' (expected: a header name such as X-Team)");
    }
    return name.trim();
  }

  private static Pattern compile(String regex) {
    if (regex == null || regex.isEmpty()) {
      throw new InvalidSettingException("regex", "'' (expected: a regular expression)");
    }
    try {
      return Pattern.compile(regex);
    } catch (PatternSyntaxException e) {
      throw new InvalidSettingException("regex", "'" + regex + "' (expected: a valid regular expression: "
          + e.getDescription() + ")");
    }
  }

  private interface Normalizer {
    String apply(String value);
  }

  private static List<String> distinct(String what, String[] values, Normalizer normalizer) {
    if (values == null || values.length == 0) {
      throw new InvalidSettingException(what, "none given (expected: at least one)");
    }
    List<String> out = new ArrayList<>();
    for (int i = 0; i < values.length; i++) {
      if (values[i] == null) {
        throw new InvalidSettingException(what, "null at index " + i);
      }
      String v = normalizer.apply(values[i]);
      int earlier = out.indexOf(v);
      if (earlier >= 0) {
        throw new InvalidSettingException(what, "'" + values[i] + "' at index " + i
            + " repeats index " + earlier + " " + Arrays.toString(values));
      }
      out.add(v);
    }
    return List.copyOf(out);
  }
}
