package io.gantry.server.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import io.gantry.proxy.header.ForwardedHeaders;
import io.gantry.server.config.ConfigValues.Item;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One reading of one file: walks the resolved {@code gantry} block with one reader per block
 * (listeners, tls, upstreams, routes, admin, access log, reload), reads the block's own settings, and
 * builds the records when no reader found an error. Not thread-safe; {@link ConfigLoader} makes
 * one per load.
 */
final class ConfigReader {
  private static final List<String> GANTRY_KEYS = List.of("listeners", "tls", "upstreams", "routes",
      "trusted-proxies", "admin", "access-log", "shutdown-grace", "shutdown-delay", "max-queued-per-upstream", "engine", "max-threads",
      "reload", "client-limits", "defaults");
  private static final List<String> DEFAULTS_KEYS = List.of("listener", "upstream", "route", "self-signed");
  private static final List<String> ENGINES = List.of("handler", "servlet");

  private final Path file;
  private final Problems problems;
  private final ConfigValues values;

  ConfigReader(String fileName, Path absoluteFile, boolean checkFiles) {
    this.file = absoluteFile;
    Path parent = absoluteFile.getParent();
    this.problems = new Problems(fileName);
    this.values = new ConfigValues(problems, parent != null ? parent : absoluteFile.toAbsolutePath(), checkFiles);
  }

  /** Every problem found, in file order. */
  List<ConfigProblem> problems() {
    return problems.sorted();
  }

  /** The configuration, or {@code null} when there are errors (then see {@link #problems()}). */
  GantryConfig read(Config parsed, Config resolved) {
    Block root = root(parsed, resolved);
    if (root == null) {
      return null;
    }
    values.checkKeys(root, GANTRY_KEYS);
    Block defaults = values.object(root, "defaults");
    values.checkKeys(defaults, DEFAULTS_KEYS);

    ListenersReader.Listeners listeners = new ListenersReader(values).read(root, values.object(defaults, "listener"));
    TlsConfig tls = new TlsReader(values).read(root, values.object(defaults, "self-signed"), listeners.configs());
    UpstreamsReader upstreamsReader = new UpstreamsReader(values);
    UpstreamsReader.Upstreams upstreams = upstreamsReader.read(root, values.object(defaults, "upstream"));
    RoutesReader routesReader = new RoutesReader(values);
    List<RouteConfig> routes = routesReader.read(root, values.object(defaults, "route"), listeners.names(), upstreams.names());
    AdminConfig admin = new AdminReader(values).read(root, listeners.configs());
    AccessLogConfig accessLog = new AccessLogReader(values).read(root);
    ReloadConfig reload = new ReloadReader(values).read(root);

    List<String> trustedProxies = trustedProxies(root);
    Duration shutdownGrace = values.duration(root, "shutdown-grace", false);
    Duration shutdownDelay = values.duration(root, "shutdown-delay", false);
    Integer maxQueued = values.integer(root, "max-queued-per-upstream", true, "a number of requests >= 1");
    if (maxQueued != null && maxQueued < 1) {
      problems.error(root.get("max-queued-per-upstream").origin(), root.at("max-queued-per-upstream"),
          maxQueued + " (expected: a number of requests >= 1)");
    }
    String engine = values.choice(root, "engine", ENGINES);
    String threads = values.string(root, "max-threads", true, "auto or a number of threads >= 16");
    Integer maxThreads = threads == null || "auto".equalsIgnoreCase(threads.trim()) ? GantryConfig.AUTO_THREADS : null;
    if (maxThreads == null) {
      maxThreads = values.integer(root, "max-threads", true, "auto or a number of threads >= 16");
      if (maxThreads != null && maxThreads < 16) {
        problems.error(root.get("max-threads").origin(), root.at("max-threads"),
            maxThreads + " (expected: auto or a number of threads >= 16; acceptors and selectors take some)");
      }
    }

    ClientLimitsConfig clientLimits = new ClientLimitsReader(values).read(root, "client-limits");

    upstreamsReader.warnUnused(upstreams.configs(), routes);
    routesReader.warnShadowed(routes);
    if (problems.hasErrors()) {
      return null;
    }
    return new GantryConfig(file, listeners.configs(), tls, upstreams.configs(), routes, trustedProxies, admin,
        accessLog, shutdownGrace, shutdownDelay, maxQueued, GantryConfig.Engine.valueOf(engine.toUpperCase(Locale.ROOT)), maxThreads,
        reload, clientLimits, problems.sorted());
  }

  /**
   * The {@code gantry} block, or {@code null} when it is not an object. Other top-level keys are
   * looked for in the user's file alone, since reference.conf and system properties add their own.
   */
  private Block root(Config parsed, Config resolved) {
    ConfigObject userRoot = parsed.root();
    for (String key : userRoot.keySet()) {
      if (!key.equals("gantry")) {
        problems.warn(userRoot.get(key).origin(), Block.quote(key), "unknown top-level key, ignored"
            + Suggestions.expectedOneOf(key, List.of("gantry")));
      }
    }
    ConfigValue userGantry = userRoot.get("gantry");
    if (userGantry == null) {
      problems.error(null, "gantry", "missing (expected: a gantry { ... } block)");
    } else {
      problems.rootLine(userGantry.origin().lineNumber());
    }
    ConfigValue gantry = resolved.root().get("gantry");
    if (gantry == null || gantry.valueType() != ConfigValueType.OBJECT) {
      problems.error(gantry == null ? null : gantry.origin(), "gantry",
          ConfigValues.describe(gantry) + " (expected: an object: gantry { ... })");
      return null;
    }
    return new Block("gantry", (ConfigObject) gantry, null, gantry.origin());
  }

  /** Addresses and CIDRs, each checked by the library that will match them. */
  private List<String> trustedProxies(Block root) {
    List<Item> items = values.strings(root, "trusted-proxies", true);
    List<String> out = new ArrayList<>();
    for (Item item : items == null ? List.<Item>of() : items) {
      try {
        ForwardedHeaders.trusting(List.of(item.value()));
        out.add(item.value().trim());
      } catch (IllegalArgumentException e) {
        problems.rejected(item.origin(), item.path(), e);
      }
    }
    return out;
  }
}
