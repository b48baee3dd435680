package io.gantry.server.config;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
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
  private static final List<String> KEYS = List.of("url", "connect-timeout", "idle-timeout", "ca");
  private static final List<String> DEFAULT_KEYS = List.of("connect-timeout", "idle-timeout");

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
            + " or { url = ..., connect-timeout = 5s, idle-timeout = 5m, ca = ca.pem })");
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
    String url = values.string(e, "url", true, "a URL such as http://127.0.0.1:8081/repository/docker-group/");
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
    if (url == null || connect == null || idle == null || (caName != null && ca == null)) {
      return null;
    }
    try {
      Upstream upstream = Upstream.builder(url).connectTimeout(connect).idleTimeout(idle).trustStore(trustStore).build();
      return new UpstreamConfig(name, ca, upstream, problems.fileOf(e.origin()), problems.lineOf(e.origin()));
    } catch (IllegalArgumentException ex) {
      String key = ex instanceof InvalidSettingException s ? key(s.setting()) : "url";
      problems.rejected(e.get(key).origin(), urlOnly && key.equals("url") ? e.path() : e.at(key), ex);
      return null;
    }
  }

  /** The key of a setting of {@link Upstream.Builder}. */
  private static String key(String setting) {
    return switch (setting) {
      case "connectTimeout" -> "connect-timeout";
      case "idleTimeout" -> "idle-timeout";
      default -> "url";
    };
  }
}
