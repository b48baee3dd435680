package io.gantry.server.config;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import io.gantry.proxy.upstream.Balance;
import io.gantry.proxy.upstream.HealthCheck;
import io.gantry.proxy.upstream.Upstream;
import io.gantry.proxy.validation.InvalidSettingException;
import io.gantry.server.tls.CertificateLoadException;
import io.gantry.server.tls.TrustStores;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads {@code gantry.upstreams}: each a URL, or an object over {@code gantry.defaults.upstream}.
 * The library {@link Upstream} is built here, its CA file read once.
 */
final class UpstreamsReader {
  private static final List<String> DEFAULT_KEYS = List.of("connect-timeout", "idle-timeout", "balance", "sticky",
      "eject-after", "ejection", "max-ejection", "failure-statuses", "retries");
  private static final List<String> KEYS = concat(List.of("url", "urls", "ca", "max-connections", "health-check"), DEFAULT_KEYS);
  private static final List<String> CHECK_KEYS = List.of("path", "interval", "timeout", "expect", "unhealthy-after",
      "healthy-after");

  /**
   * @param configs the upstreams that are valid, by name in file order
   * @param names every upstream name given, so that routes to an invalid one get no second error
   */
  record Upstreams(Map<String, UpstreamConfig> configs, Set<String> names) {}

  private final ConfigValues values;
  private final Problems problems;

  UpstreamsReader(ConfigValues values) {
    this.values = values;
    this.problems = values.problems();
  }

  Upstreams read(Block root, Block defaults) {
    values.checkKeys(defaults, DEFAULT_KEYS);
    Map<String, UpstreamConfig> out = new LinkedHashMap<>();
    Set<String> names = new LinkedHashSet<>();
    Block u = values.object(root, "upstreams");
    List<Map.Entry<String, ConfigValue>> entries = new ArrayList<>(u.own().entrySet());
    // HOCON objects are unordered: file order is line order.
    entries.sort(Comparator.comparingInt((Map.Entry<String, ConfigValue> e) -> e.getValue().origin().lineNumber())
        .thenComparing(Map.Entry::getKey));
    if (entries.isEmpty()) {
      problems.error(u.origin(), u.path(), "empty (expected: at least one upstream, such as nexus = \"http://127.0.0.1:8081/\")");
    }
    for (Map.Entry<String, ConfigValue> entry : entries) {
      String name = entry.getKey();
      ConfigValue v = entry.getValue();
      String path = u.at(name);
      names.add(name);
      if (!ConfigValues.isName(name)) {
        problems.error(v.origin(), path, "upstream name '" + name + "' (expected: letters, digits, '-', '_' and '.')");
        continue;
      }
      Block e;
      if (v.valueType() == ConfigValueType.OBJECT) {
        e = new Block(path, (ConfigObject) v, defaults.own(), v.origin());
        values.checkKeys(e, KEYS);
      } else if (v.valueType() == ConfigValueType.STRING) {
        e = new Block(path, ConfigFactory.empty().root().withValue("url", v), defaults.own(), v.origin());
      } else {
        problems.error(v.origin(), path, ConfigValues.describe(v) + " (expected: a URL such as \"http://127.0.0.1:8081/\","
            + " or { url = ..., connect-timeout = 5s, idle-timeout = 5m, ca = ca.pem }, or { urls = [...] })");
        continue;
      }
      UpstreamConfig built = upstream(name, e, v.valueType() == ConfigValueType.STRING);
      if (built != null) {
        out.put(name, built);
      }
    }
    return new Upstreams(out, names);
  }

  /** Warns of upstreams no route sends to. */
  void warnUnused(Map<String, UpstreamConfig> upstreams, List<RouteConfig> routes) {
    for (UpstreamConfig u : upstreams.values()) {
      if (routes.stream().noneMatch(r -> r.to().equals(u.name()))) {
        problems.warn(problems.origin(u.file(), u.line()), "gantry.upstreams." + Block.quote(u.name()),
            "upstream '" + u.name() + "' is not used by any route (expected: to = " + u.name() + " in a route, or remove it)");
      }
    }
  }

  /** One upstream; {@code urlOnly} when written as just its URL, whose problems are then at the entry's key. */
  private UpstreamConfig upstream(String name, Block e, boolean urlOnly) {
    List<String> urls = urls(e);
    Duration connect = values.duration(e, "connect-timeout", true);
    Duration idle = values.duration(e, "idle-timeout", true);
    String caName = values.string(e, "ca", false, "a PEM file of CA certificates");
    Path ca = null;
    KeyStore trustStore = null;
    if (caName != null) {
      ca = values.file(e, "ca", caName, "a readable PEM file of CA certificates");
      if (ca != null && values.checkFiles()) {
        try {
          trustStore = TrustStores.fromPem(ca);
        } catch (CertificateLoadException ex) {
          problems.error(e.get("ca").origin(), e.at("ca"), ex.getMessage());
          return null;
        }
      }
    }
    String balance = values.choice(e, "balance", BALANCES);
    Boolean sticky = values.bool(e, "sticky", true);
    Integer ejectAfter = values.integer(e, "eject-after", 1, 100);
    Duration ejection = values.duration(e, "ejection", true);
    Duration maxEjection = values.duration(e, "max-ejection", true);
    Set<Integer> failureStatuses = statuses(e);
    Integer retries = values.integer(e, "retries", 0, 10);
    Integer maxConnections = e.has("max-connections") ? values.integer(e, "max-connections", 1, 100_000) : Integer.valueOf(0);
    HealthCheck check = healthCheck(e);
    if (urls == null || connect == null || idle == null || (caName != null && ca == null) || balance == null
        || sticky == null || ejectAfter == null || ejection == null || maxEjection == null || failureStatuses == null
        || retries == null || maxConnections == null || (e.has("health-check") && check == null)) {
      return null;
    }
    try {
      Upstream upstream = Upstream.builder(urls).connectTimeout(connect).idleTimeout(idle).trustStore(trustStore)
          .balance(Balance.of(balance)).sticky(sticky).ejectAfter(ejectAfter).ejection(ejection, maxEjection)
          .failureStatuses(failureStatuses).retries(retries).maxConnections(maxConnections).healthCheck(check)
          .build();
      return new UpstreamConfig(name, ca, upstream, problems.fileOf(e.origin()), problems.lineOf(e.origin()));
    } catch (IllegalArgumentException ex) {
      String key = ex instanceof InvalidSettingException s ? key(s.setting(), e) : urlKey(e);
      problems.rejected(e.get(key).origin(), urlOnly && key.equals("url") ? e.path() : e.at(key), ex);
      return null;
    }
  }

  private static final List<String> BALANCES = List.of(Balance.ROUND_ROBIN.label(), Balance.LEAST_REQUESTS.label());

  /** {@code url}, or the list {@code urls}: exactly one of them. */
  private List<String> urls(Block e) {
    boolean one = e.own().containsKey("url");
    boolean many = e.own().containsKey("urls");
    if (one && many) {
      problems.error(e.get("urls").origin(), e.at("urls"), "given with url (expected: url for one instance, or urls for several)");
      return null;
    }
    if (!many) {
      String url = values.string(e, "url", true, "a URL such as http://127.0.0.1:8081/repository/docker-group/, or urls = [...]");
      return url == null ? null : List.of(url);
    }
    List<ConfigValues.Item> items = values.strings(e, "urls", true);
    if (items == null) {
      return null;
    }
    if (items.isEmpty()) {
      problems.error(e.get("urls").origin(), e.at("urls"), "[] (expected: at least one URL)");
      return null;
    }
    return ConfigValues.listOf(items);
  }

  private Set<Integer> statuses(Block e) {
    List<ConfigValues.Item> items = values.strings(e, "failure-statuses", true);
    if (items == null) {
      return null;
    }
    Set<Integer> out = new LinkedHashSet<>();
    for (ConfigValues.Item item : items) {
      try {
        int status = Integer.parseInt(item.value().trim());
        if (status >= 500 && status <= 599) {
          out.add(status);
          continue;
        }
      } catch (NumberFormatException ex) {
        // reported below
      }
      problems.error(item.origin(), item.path(), "'" + item.value() + "' (expected: a 5xx status such as 502)");
      return null;
    }
    return out;
  }

  /** {@code health-check}: a path, or an object; null when absent or invalid (reported). */
  private HealthCheck healthCheck(Block e) {
    ConfigValue v = e.get("health-check");
    if (v == null || v.valueType() == ConfigValueType.NULL) {
      return null;
    }
    String at = e.at("health-check");
    Block c;
    if (v.valueType() == ConfigValueType.STRING) {
      c = new Block(at, ConfigFactory.empty().root().withValue("path", v), null, v.origin());
    } else if (v.valueType() == ConfigValueType.OBJECT) {
      c = new Block(at, (ConfigObject) v, null, v.origin());
      values.checkKeys(c, CHECK_KEYS);
    } else {
      problems.error(v.origin(), at, ConfigValues.describe(v) + " (expected: a path such as \"/service/rest/v1/status\","
          + " or { path = ..., interval = 5s, timeout = 2s, expect = \"200-399\" })");
      return null;
    }
    String path = values.string(c, "path", true, "a path such as /service/rest/v1/status, or v2/ under the upstream's prefix");
    Duration interval = c.has("interval") ? values.duration(c, "interval", true) : HealthCheck.DEFAULT_INTERVAL;
    Duration timeout = c.has("timeout") ? values.duration(c, "timeout", true) : HealthCheck.DEFAULT_TIMEOUT;
    String expect = c.has("expect") ? values.string(c, "expect", true, "statuses such as 200-399 or 200-299,401")
        : HealthCheck.DEFAULT_EXPECT;
    Integer unhealthy = c.has("unhealthy-after") ? values.integer(c, "unhealthy-after", 1, 100) : Integer.valueOf(2);
    Integer healthy = c.has("healthy-after") ? values.integer(c, "healthy-after", 1, 100) : Integer.valueOf(1);
    if (path == null || interval == null || timeout == null || expect == null || unhealthy == null || healthy == null) {
      return null;
    }
    try {
      return HealthCheck.of(path).interval(interval).timeout(timeout).expect(expect).thresholds(unhealthy, healthy);
    } catch (InvalidSettingException ex) {
      String key = switch (ex.setting()) {
        case "interval", "timeout", "expect", "path" -> ex.setting();
        case "unhealthyAfter" -> "unhealthy-after";
        case "healthyAfter" -> "healthy-after";
        default -> "path";
      };
      problems.rejected(c.has(key) ? c.get(key).origin() : c.origin(), c.at(key), ex);
      return null;
    }
  }

  /** The key of a setting of {@link Upstream.Builder}. */
  private static String key(String setting, Block e) {
    return switch (setting) {
      case "connectTimeout" -> "connect-timeout";
      case "idleTimeout" -> "idle-timeout";
      case "ejectAfter" -> "eject-after";
      case "ejection" -> "ejection";
      case "maxEjection" -> "max-ejection";
      case "failureStatuses" -> "failure-statuses";
      case "retries" -> "retries";
      case "maxConnections" -> "max-connections";
      default -> urlKey(e);
    };
  }

  private static String urlKey(Block e) {
    return e.own().containsKey("urls") ? "urls" : "url";
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    return List.copyOf(all);
  }
}
