package io.gantry.server.config;

import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import io.gantry.proxy.header.ForwardedHeaders;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Reads {@code gantry.listeners}, each element over {@code gantry.defaults.listener}. */
final class ListenersReader {
  private static final List<String> LIMIT_KEYS = List.of("max-request-header-size", "http2-max-concurrent-streams",
      "http2-max-events-per-second");
  private static final List<String> KEYS = concat(List.of("name", "port", "host", "tls", "redirect-to", "hsts", "http2",
      "proxy-protocol", "proxy-protocol-from"), LIMIT_KEYS);
  private static final List<String> DEFAULT_KEYS = concat(List.of("host", "tls", "hsts", "http2", "proxy-protocol",
      "proxy-protocol-from"), LIMIT_KEYS);
  private static final List<String> HSTS_KEYS = List.of("enabled", "max-age", "include-subdomains");
  private static final String HSTS_DEFAULTS = "gantry.defaults.listener.hsts";

  /**
   * @param configs the listeners that are valid, in file order
   * @param names every listener name given, also of invalid listeners, so that routes naming one
   *     get no second error
   */
  record Listeners(List<ListenerConfig> configs, Set<String> names) {}

  private final ConfigValues values;
  private final Problems problems;

  ListenersReader(ConfigValues values) {
    this.values = values;
    this.problems = values.problems();
  }

  Listeners read(Block root, Block defaults) {
    values.checkKeys(defaults, DEFAULT_KEYS);
    List<ListenerConfig> out = new ArrayList<>();
    Set<String> names = new LinkedHashSet<>();
    List<Block> elements = values.objects(root, "listeners", "a listener such as { name = https, port = 443 }");
    if (elements == null) {
      return new Listeners(out, names);
    }
    if (elements.isEmpty()) {
      problems.error(root.get("listeners").origin(), root.at("listeners"), "empty (expected: at least one listener)");
    }
    Map<String, Block> byName = new HashMap<>();
    List<Binding> bound = new ArrayList<>();
    for (Block element : elements) {
      Block e = element.withFallback(defaults.own());
      values.checkKeys(e, KEYS);
      String name = values.name(e, "name", "a listener name such as https");
      if (name != null) {
        Block earlier = byName.putIfAbsent(name, e);
        if (earlier != null) {
          problems.error(e.get("name").origin(), e.at("name"), "'" + name + "' is already the name of " + earlier.path()
              + " (line " + earlier.origin().lineNumber() + ") (expected: unique listener names)");
        }
        names.add(name);
      }
      Integer port = values.port(e, "port", true);
      String host = values.string(e, "host", true, "a bind address such as 0.0.0.0 or 127.0.0.1");
      Boolean tls = values.bool(e, "tls", true);
      Integer redirectTo = redirectTo(e, tls);
      Boolean http2 = values.bool(e, "http2", true);
      if (Boolean.TRUE.equals(http2) && Boolean.FALSE.equals(tls) && e.own().containsKey("http2")) {
        problems.warn(e.own().get("http2").origin(), e.at("http2"), "ignored on a plain listener, which speaks HTTP/1.1"
            + " (expected: http2 on a TLS listener)");
      }
      ListenerConfig.Hsts hsts = hsts(e);
      if (hsts != null && hsts.enabled() && Boolean.FALSE.equals(tls) && e.own().containsKey("hsts")) {
        problems.warn(e.own().get("hsts").origin(), e.at("hsts"), "ignored on a plain listener: browsers ignore"
            + " Strict-Transport-Security over http, RFC 6797 section 8.1 (expected: hsts on a TLS listener)");
      }
      ListenerConfig.ProxyProtocol proxyProtocol = proxyProtocol(e);
      ListenerConfig.Limits limits = limits(e);
      if (limits != null && Boolean.FALSE.equals(tls) && (e.own().containsKey("http2-max-concurrent-streams")
          || e.own().containsKey("http2-max-events-per-second"))) {
        String key = e.own().containsKey("http2-max-concurrent-streams") ? "http2-max-concurrent-streams"
            : "http2-max-events-per-second";
        problems.warn(e.own().get(key).origin(), e.at(key), "ignored on a plain listener, which speaks HTTP/1.1"
            + " (expected: on a TLS listener with http2 = true)");
      }
      if (port != null && host != null) {
        Binding clash = Binding.clash(bound, host, port);
        if (clash != null) {
          problems.error(e.get("port").origin(), e.at("port"), port + " is already used by " + clash.owner()
              + " (line " + clash.line() + ") (expected: one listener per port)");
        }
        bound.add(new Binding(host, port, e.path(), e.origin().lineNumber()));
      }
      if (name != null && port != null && host != null && tls != null && hsts != null && http2 != null
          && proxyProtocol != null && limits != null) {
        // A plain listener never speaks HTTP/2 (no h2c), whatever the default says.
        out.add(new ListenerConfig(name, host, port, tls, redirectTo == null ? 0 : redirectTo, hsts, http2 && tls,
            proxyProtocol, limits,
            problems.fileOf(e.origin()), problems.lineOf(e.origin())));
      }
    }
    return new Listeners(out, names);
  }

  /** {@code proxy-protocol} and {@code proxy-protocol-from}, each address checked like trusted proxies. */
  private ListenerConfig.ProxyProtocol proxyProtocol(Block e) {
    Boolean enabled = values.bool(e, "proxy-protocol", true);
    List<ConfigValues.Item> items = values.strings(e, "proxy-protocol-from", true);
    if (enabled == null || items == null) {
      return null;
    }
    List<String> from = new ArrayList<>();
    boolean ok = true;
    for (ConfigValues.Item item : items) {
      try {
        ForwardedHeaders.trusting(List.of(item.value()));
        from.add(item.value().trim());
      } catch (IllegalArgumentException x) {
        problems.rejected(item.origin(), item.path(), x);
        ok = false;
      }
    }
    if (!enabled && !from.isEmpty() && e.own().containsKey("proxy-protocol-from")) {
      problems.warn(e.own().get("proxy-protocol-from").origin(), e.at("proxy-protocol-from"),
          "ignored without proxy-protocol = true (expected: proxy-protocol = true on this listener)");
    }
    return ok ? new ListenerConfig.ProxyProtocol(enabled, from) : null;
  }

  private ListenerConfig.Limits limits(Block e) {
    Integer headers = values.bytes(e, "max-request-header-size", 1024, 1024 * 1024);
    Integer streams = values.integer(e, "http2-max-concurrent-streams", 1, 65536);
    Integer events = values.integer(e, "http2-max-events-per-second", 1, 1_000_000);
    return headers == null || streams == null || events == null ? null
        : new ListenerConfig.Limits(headers, streams, events);
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> out = new ArrayList<>(a);
    out.addAll(b);
    return List.copyOf(out);
  }

  /** The https port a plain listener redirects to, or {@code null} for none (or when invalid, reported). */
  private Integer redirectTo(Block e, Boolean tls) {
    if (!e.has("redirect-to")) {
      return null;
    }
    Integer port = values.port(e, "redirect-to", false);
    if (port != null && port == 0) {
      problems.error(e.get("redirect-to").origin(), e.at("redirect-to"), "0 (expected: the https port to redirect to, 1-65535)");
      return null;
    }
    if (port != null && Boolean.TRUE.equals(tls)) {
      problems.error(e.get("redirect-to").origin(), e.at("redirect-to"),
          "set on a TLS listener (expected: only on a plain listener, tls = false)");
    }
    return port;
  }

  /** The listener's HSTS: {@code hsts = true|false}, or an object (enabled unless it says otherwise). */
  private ListenerConfig.Hsts hsts(Block listener) {
    ConfigValue defaultValue = listener.fallback() == null ? null : listener.fallback().get("hsts");
    if (defaultValue == null || defaultValue.valueType() != ConfigValueType.OBJECT) {
      problems.error(defaultValue == null ? null : defaultValue.origin(), HSTS_DEFAULTS,
          ConfigValues.describe(defaultValue) + " (expected: an object { enabled, max-age, include-subdomains })");
      return null;
    }
    ConfigObject defaults = (ConfigObject) defaultValue;
    ConfigValue own = listener.own().get("hsts");
    Block h;
    Boolean enabled;
    if (own == null || own.valueType() == ConfigValueType.NULL) {
      h = new Block(HSTS_DEFAULTS, defaults, null, defaults.origin());
      values.checkKeys(h, HSTS_KEYS);
      enabled = values.bool(h, "enabled", true);
    } else if (own.valueType() == ConfigValueType.OBJECT) {
      h = new Block(listener.at("hsts"), (ConfigObject) own, defaults, own.origin());
      values.checkKeys(h, HSTS_KEYS);
      enabled = h.own().containsKey("enabled") ? values.bool(h, "enabled", true) : Boolean.TRUE;
    } else {
      h = new Block(listener.at("hsts"), null, defaults, own.origin());
      enabled = values.bool(listener, "hsts", true);
    }
    Duration maxAge = values.duration(h, "max-age", false);
    Boolean include = values.bool(h, "include-subdomains", true);
    return enabled == null || maxAge == null || include == null ? null
        : new ListenerConfig.Hsts(enabled, maxAge, include);
  }
}
