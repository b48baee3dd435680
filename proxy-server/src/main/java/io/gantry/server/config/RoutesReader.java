package io.gantry.server.config;

import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import io.gantry.proxy.route.AccessRules;
import io.gantry.proxy.route.RouteStrategies;
import io.gantry.proxy.route.RouteStrategy;
import io.gantry.proxy.validation.InvalidSettingException;
import io.gantry.server.config.ConfigValues.Item;
import io.gantry.server.config.RouteConfig.HeaderMatch;
import io.gantry.server.config.RouteConfig.TextMatch;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Reads {@code gantry.routes}, each element over {@code gantry.defaults.route}. Conditions are
 * compiled by the library's {@link RouteStrategies}, whose refusals are reported at the key that
 * gave the value.
 */
final class RoutesReader {
  private static final List<String> KEYS = List.of("name", "listener", "host", "method", "path",
      "user-agent", "header", "strategy", "to", "allow-encoded-slashes", "headers", "allow-from", "deny-from", "deny-paths", "client-limits");
  private static final List<String> DEFAULT_KEYS = List.of("allow-encoded-slashes", "allow-from", "deny-from", "deny-paths");
  private static final List<String> TEXT_MATCH_KEYS = List.of("contains", "regex");
  private static final List<String> HEADER_KEYS = List.of("name", "contains", "regex");

  private final ConfigValues values;
  private final Problems problems;
  private final UserStrategies userStrategies;
  private final HeaderRulesReader headerRules;

  RoutesReader(ConfigValues values) {
    this.values = values;
    this.problems = values.problems();
    this.userStrategies = new UserStrategies(values);
    this.headerRules = new HeaderRulesReader(values);
  }

  /** The valid routes in order; references to listeners and upstreams are checked against the names given. */
  List<RouteConfig> read(Block root, Block defaults, Set<String> listenerNames, Set<String> upstreamNames) {
    values.checkKeys(defaults, DEFAULT_KEYS);
    List<RouteConfig> out = new ArrayList<>();
    List<Block> elements = values.objects(root, "routes", "a route such as { host = registry.example.com, to = docker-group }");
    if (elements == null) {
      return out;
    }
    if (elements.isEmpty()) {
      problems.error(root.get("routes").origin(), root.at("routes"), "empty (expected: at least one route, such as { to = nexus })");
    }
    Map<String, Block> byName = new HashMap<>();
    for (int i = 0; i < elements.size(); i++) {
      Block r = elements.get(i).withFallback(defaults.own());
      values.checkKeys(r, KEYS);
      RouteConfig route = route(i, r, listenerNames, upstreamNames);
      String name = route == null ? null : route.name();
      if (name == null && r.has("name")) {
        name = values.string(r, "name", false, "a route name");
      }
      if (name != null) {
        Block earlier = byName.putIfAbsent(name, r);
        if (earlier != null) {
          problems.error(r.has("name") ? r.get("name").origin() : r.origin(), r.at("name"), "'" + name
              + "' is already the name of " + earlier.path() + " (line " + earlier.origin().lineNumber()
              + ") (expected: unique route names)");
          continue;
        }
      }
      if (route != null) {
        out.add(route);
      }
    }
    return out;
  }

  /** Warns of routes an earlier route takes every request of. */
  void warnShadowed(List<RouteConfig> routes) {
    for (RouteShadowing.Shadow s : RouteShadowing.find(routes)) {
      problems.warn(problems.origin(s.shadowed().file(), s.shadowed().line()), "gantry.routes[" + s.shadowed().index() + "]",
          "route '" + s.shadowed().name() + "' can never match: route '" + s.earlier().name() + "' (line "
              + s.earlier().line() + ") comes first and matches every request this one would"
              + " (expected: more specific routes before more general ones)");
    }
  }

  private RouteConfig route(int index, Block r, Set<String> listenerNames, Set<String> upstreamNames) {
    int before = problems.errorCount();
    String name = r.has("name") ? values.name(r, "name", "a route name such as registry-pull") : "route-" + (index + 1);
    List<RouteStrategy> parts = new ArrayList<>();

    List<Item> listeners = values.strings(r, "listener", false);
    if (listeners != null) {
      for (Item l : listeners) {
        if (!listenerNames.contains(l.value())) {
          problems.error(l.origin(), l.path(), "listener '" + l.value() + "' is not defined"
              + Suggestions.expectedOneOf(l.value(), listenerNames));
        }
      }
      condition(r, "listener", parts, () -> RouteStrategies.listener(ConfigValues.values(listeners)));
    }
    List<Item> hosts = values.strings(r, "host", false);
    if (hosts != null) {
      condition(r, "host", parts, () -> RouteStrategies.host(ConfigValues.values(hosts)));
    }
    List<Item> methods = values.strings(r, "method", false);
    if (methods != null) {
      condition(r, "method", parts, () -> RouteStrategies.method(ConfigValues.values(methods)));
    }
    List<Item> paths = values.strings(r, "path", false);
    if (paths != null) {
      condition(r, "path", parts, () -> RouteStrategies.pathPrefix(ConfigValues.values(paths)));
    }
    TextMatch userAgent = userAgent(r, parts);
    HeaderMatch header = header(r, parts);
    UserStrategies.Loaded user = userStrategies.read(r);
    if (user != null) {
      parts.add(user.strategy());
    }

    String to = values.string(r, "to", true, "the name of an upstream"
        + (upstreamNames.isEmpty() ? "" : ": " + String.join(", ", upstreamNames)));
    if (to != null && !upstreamNames.contains(to)) {
      problems.error(r.get("to").origin(), r.at("to"), "upstream '" + to + "' is not defined"
          + Suggestions.expectedOneOf(to, upstreamNames));
    }
    Boolean encodedSlashes = values.bool(r, "allow-encoded-slashes", true);
    HeaderRulesReader.Legs headers = headerRules.read(r);
    AccessRules access = access(r);
    ClientLimitsConfig clientLimits = r.has("client-limits") ? new ClientLimitsReader(values).read(r, "client-limits") : null;
    if (problems.errorCount() > before || name == null || to == null || encodedSlashes == null) {
      return null;
    }
    RouteStrategy strategy = parts.isEmpty() ? RouteStrategies.any() : RouteStrategies.and(parts.toArray(RouteStrategy[]::new));
    return new RouteConfig(index, name, ConfigValues.listOf(listeners), ConfigValues.listOf(hosts),
        ConfigValues.listOf(methods), ConfigValues.listOf(paths), userAgent, header,
        user == null ? null : user.config(), to, encodedSlashes, headers.request(), headers.response(), access, clientLimits, strategy,
        problems.fileOf(r.origin()), problems.lineOf(r.origin()));
  }

  /**
   * {@code allow-from}, {@code deny-from} (addresses or CIDRs) and {@code deny-paths} (path
   * prefixes), each element checked by the library and a refusal reported at that element.
   */
  private AccessRules access(Block r) {
    AccessRules.Builder rules = AccessRules.builder();
    List<String> allow = accessItems(r, "allow-from", item -> AccessRules.builder().allowFrom(item));
    List<String> deny = accessItems(r, "deny-from", item -> AccessRules.builder().denyFrom(item));
    List<String> paths = accessItems(r, "deny-paths", item -> AccessRules.builder().denyPaths(item));
    try {
      return rules.allowFrom(allow).denyFrom(deny).denyPaths(paths).build();
    } catch (IllegalArgumentException e) {
      return AccessRules.NONE; // each element was reported above
    }
  }

  private List<String> accessItems(Block r, String key, java.util.function.Consumer<String> check) {
    List<Item> items = values.strings(r, key, false);
    List<String> out = new ArrayList<>();
    for (Item item : items == null ? List.<Item>of() : items) {
      try {
        check.accept(item.value());
        out.add(item.value());
      } catch (IllegalArgumentException e) {
        problems.rejected(item.origin(), item.path(), e);
      }
    }
    return out;
  }

  /** Adds the library's strategy for {@code key}, or reports its refusal there. */
  private void condition(Block r, String key, List<RouteStrategy> parts, Supplier<RouteStrategy> factory) {
    try {
      parts.add(factory.get());
    } catch (IllegalArgumentException e) {
      problems.rejected(r.get(key).origin(), r.at(key), e);
    }
  }

  /** {@code user-agent = "text"}, or an object with exactly one of contains and regex. */
  private TextMatch userAgent(Block r, List<RouteStrategy> parts) {
    ConfigValue v = r.get("user-agent");
    if (v == null || v.valueType() == ConfigValueType.NULL) {
      return null;
    }
    if (v.valueType() == ConfigValueType.OBJECT) {
      Block u = new Block(r.at("user-agent"), (ConfigObject) v, null, v.origin());
      values.checkKeys(u, TEXT_MATCH_KEYS);
      TextMatch m = textMatch(u, "user-agent");
      if (m != null) {
        condition(u, m.regex() != null ? "regex" : "contains", parts,
            () -> m.regex() != null ? RouteStrategies.userAgentMatching(m.regex()) : RouteStrategies.userAgent(m.contains()));
      }
      return m;
    }
    String text = values.string(r, "user-agent", false, "text the User-Agent contains, or { regex = \"^docker/\" }");
    if (text == null) {
      return null;
    }
    condition(r, "user-agent", parts, () -> RouteStrategies.userAgent(text));
    return new TextMatch(text, null);
  }

  private HeaderMatch header(Block r, List<RouteStrategy> parts) {
    ConfigValue v = r.get("header");
    if (v == null || v.valueType() == ConfigValueType.NULL) {
      return null;
    }
    if (v.valueType() != ConfigValueType.OBJECT) {
      problems.error(v.origin(), r.at("header"), ConfigValues.describe(v)
          + " (expected: { name = X-Team, contains = \"text\" } or { name = X-Team, regex = \"...\" })");
      return null;
    }
    Block h = new Block(r.at("header"), (ConfigObject) v, null, v.origin());
    values.checkKeys(h, HEADER_KEYS);
    String name = values.string(h, "name", true, "a header name such as X-Team");
    TextMatch m = textMatch(h, "header");
    if (name == null || m == null) {
      return null;
    }
    try {
      parts.add(m.regex() != null ? RouteStrategies.headerMatching(name, m.regex()) : RouteStrategies.header(name, m.contains()));
    } catch (IllegalArgumentException e) {
      // The library's "name" is the header name; its text and regex are this block's contains or regex.
      boolean aboutName = e instanceof InvalidSettingException s && s.setting().equals("name");
      String key = aboutName ? "name" : m.regex() != null ? "regex" : "contains";
      problems.rejected(h.get(key).origin(), h.at(key), e);
      return null;
    }
    return new HeaderMatch(name, m.contains(), m.regex());
  }

  /** Exactly one of {@code contains} or {@code regex}. */
  private TextMatch textMatch(Block o, String what) {
    boolean contains = o.has("contains");
    boolean regex = o.has("regex");
    if (contains == regex) {
      problems.error(o.origin(), o.path(), (contains ? "both contains and regex" : "neither contains nor regex")
          + " (expected: exactly one of contains = \"text\" or regex = \"...\" for " + what + ")");
      return null;
    }
    String text = values.string(o, contains ? "contains" : "regex", true, contains ? "some text" : "a regular expression");
    return text == null ? null : new TextMatch(contains ? text : null, regex ? text : null);
  }
}
