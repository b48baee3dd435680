package io.gantry.server.reload;

import io.gantry.proxy.upstream.Upstream;
import io.gantry.server.config.UpstreamConfig;

import io.gantry.server.config.ConfigLoader;
import io.gantry.server.config.ConfigProblem;
import io.gantry.server.config.GantryConfig;
import io.gantry.server.config.ListenerConfig;
import io.gantry.server.config.RouteConfig;
import io.gantry.server.config.UpstreamConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * What changes from the running configuration to the next one, and whether all of it can be
 * applied live.
 *
 * <p>Live: routes, upstreams, certificates, listeners that are added or removed (a listener whose
 * host or port changes is removed and added), a plain listener's {@code redirect-to}, {@code
 * shutdown-grace}, {@code reload} (the file watch). Only with a restart (the reload is refused,
 * the running configuration keeps serving): {@code engine}, {@code max-threads}, {@code admin},
 * {@code access-log}, {@code trusted-proxies}, {@code max-queued-per-upstream}, {@code
 * client-limits}, {@code tls.provider}, a change of {@code tls}, {@code http2} or {@code hsts} on a listener whose port
 * stays open, and a port handed from one listener name to another.
 *
 * <pre>{@code
 * ConfigDiff diff = ConfigDiff.between(running, next);
 * if (!diff.needsRestart().isEmpty()) { ... refuse ... }
 * diff.added().forEach(this::bind);
 * }</pre>
 *
 * @param added listeners to open, as configured in the next file
 * @param removed listeners to close, as configured in the running file
 * @param kept listeners that stay open, as configured in the next file
 * @param needsRestart one problem per change that cannot be applied live; empty when all can
 * @param changes what changes, one line each
 */
public record ConfigDiff(List<ListenerConfig> added, List<ListenerConfig> removed, List<ListenerConfig> kept,
    List<ConfigProblem> needsRestart, List<String> changes) {

  public ConfigDiff {
    added = List.copyOf(added);
    removed = List.copyOf(removed);
    kept = List.copyOf(kept);
    needsRestart = List.copyOf(needsRestart);
    changes = List.copyOf(changes);
  }

  /** Compares {@code running} with {@code next}. */
  public static ConfigDiff between(GantryConfig running, GantryConfig next) {
    List<ConfigProblem> restart = new ArrayList<>();
    List<String> changes = new ArrayList<>();
    restartOnly(running, next, "gantry.engine", GantryConfig::engine, restart);
    restartOnly(running, next, "gantry.max-threads", GantryConfig::maxThreads, restart);
    restartOnly(running, next, "gantry.admin", GantryConfig::admin, restart);
    restartOnly(running, next, "gantry.access-log", GantryConfig::accessLog, restart);
    restartOnly(running, next, "gantry.trusted-proxies", GantryConfig::trustedProxies, restart);
    restartOnly(running, next, "gantry.max-queued-per-upstream", GantryConfig::maxQueuedPerUpstream, restart);
    restartOnly(running, next, "gantry.client-limits", GantryConfig::clientLimits, restart);
    restartOnly(running, next, "gantry.tls.provider", c -> c.tls().provider().key(), restart);
    if (!running.reload().equals(next.reload())) {
      changes.add("reload: watch " + running.reload().watch() + ", debounce " + running.reload().debounce().toMillis()
          + " ms -> watch " + next.reload().watch() + ", debounce " + next.reload().debounce().toMillis() + " ms");
    }
    if (!running.shutdownGrace().equals(next.shutdownGrace())) {
      changes.add("shutdown-grace: " + running.shutdownGrace() + " -> " + next.shutdownGrace());
    }
    if (!running.shutdownDelay().equals(next.shutdownDelay())) {
      changes.add("shutdown-delay: " + running.shutdownDelay() + " -> " + next.shutdownDelay());
    }

    List<ListenerConfig> added = new ArrayList<>();
    List<ListenerConfig> removed = new ArrayList<>();
    List<ListenerConfig> kept = new ArrayList<>();
    for (ListenerConfig old : running.listeners()) {
      ListenerConfig now = next.listener(old.name());
      if (now == null || !Objects.equals(old.host(), now.host()) || old.port() != now.port()) {
        removed.add(old);
      }
    }
    for (ListenerConfig now : next.listeners()) {
      ListenerConfig old = running.listener(now.name());
      if (old == null || !Objects.equals(old.host(), now.host()) || old.port() != now.port()) {
        added.add(now);
        continue;
      }
      if (old.tls() != now.tls() || old.http2() != now.http2() || !Objects.equals(old.hsts(), now.hsts())
          || !Objects.equals(old.proxyProtocol(), now.proxyProtocol()) || !Objects.equals(old.limits(), now.limits())) {
        restart.add(listenerProblem(next, now, "listener '" + now.name() + "' changes tls, http2, hsts, proxy-protocol"
            + " or its limits on port "
            + now.port() + ", which stays open; this needs a restart (the running configuration keeps serving)"));
      } else if (old.redirectTo() != now.redirectTo()) {
        changes.add("listener " + now.name() + ": redirect-to " + old.redirectTo() + " -> " + now.redirectTo());
      }
      kept.add(now);
    }
    for (ListenerConfig now : added) {
      for (ListenerConfig gone : removed) {
        if (now.port() != 0 && now.port() == gone.port() && !gone.name().equals(now.name())) {
          restart.add(listenerProblem(next, now, "listener '" + now.name() + "' takes port " + now.port()
              + " from listener '" + gone.name() + "'; a port changes listener name only with a restart"
              + " (the running configuration keeps serving)"));
        } else if (now.port() != 0 && now.port() == gone.port()) {
          restart.add(listenerProblem(next, now, "listener '" + now.name() + "' moves from host "
              + gone.host() + " to " + now.host() + " on port " + now.port()
              + "; this needs a restart (the running configuration keeps serving)"));
        }
      }
    }
    added.forEach(l -> changes.add("listener added: " + describe(l)));
    removed.forEach(l -> changes.add("listener removed: " + describe(l)));

    Map<String, RouteConfig> before = byName(running.routes());
    Map<String, RouteConfig> after = byName(next.routes());
    after.keySet().stream().filter(n -> !before.containsKey(n)).forEach(n -> changes.add("route added: " + n));
    before.keySet().stream().filter(n -> !after.containsKey(n)).forEach(n -> changes.add("route removed: " + n));
    next.upstreams().keySet().stream().filter(n -> !running.upstreams().containsKey(n))
        .forEach(n -> changes.add("upstream added: " + n));
    running.upstreams().keySet().stream().filter(n -> !next.upstreams().containsKey(n))
        .forEach(n -> changes.add("upstream removed: " + n));
    next.upstreams().forEach((name, u) -> {
      UpstreamConfig was = running.upstreams().get(name);
      if (was != null && !settings(was).equals(settings(u))) {
        changes.add("upstream changed: " + name + " " + u.upstream());
      }
    });
    return new ConfigDiff(added, removed, kept, restart, changes);
  }

  /** An upstream's settings, comparable across loads (its trust store is a new object each time). */
  private static String settings(UpstreamConfig c) {
    Upstream u = c.upstream();
    return u.instances() + " " + c.ca() + " " + u.connectTimeout() + " " + u.idleTimeout() + " " + u.balance() + " "
        + u.sticky() + " " + u.ejectAfter() + " " + u.ejection() + " " + u.maxEjection() + " " + u.failureStatuses() + " "
        + u.retries() + " " + u.maxConnections() + " " + u.healthCheck() + " " + (u.healthCheck() == null ? ""
        : u.healthCheck().unhealthyAfter() + "/" + u.healthCheck().healthyAfter());
  }

  private static String describe(ListenerConfig l) {
    return l.name() + " (" + (l.tls() ? "https" : "http") + " " + (l.host() == null || l.host().isEmpty() ? "0.0.0.0" : l.host())
        + ":" + l.port() + ")";
  }

  private static Map<String, RouteConfig> byName(List<RouteConfig> routes) {
    Map<String, RouteConfig> map = new LinkedHashMap<>();
    routes.forEach(r -> map.put(r.name(), r));
    return map;
  }

  private static <T> void restartOnly(GantryConfig running, GantryConfig next, String key,
      Function<GantryConfig, T> value, List<ConfigProblem> problems) {
    T was = value.apply(running);
    T now = value.apply(next);
    if (!Objects.equals(was, now)) {
      problems.add(new ConfigProblem(next.file().toString(), ConfigLoader.lineOf(next.file(), key), key,
          "changed from " + was + " to " + now + "; this needs a restart (the running configuration keeps serving)",
          ConfigProblem.Severity.ERROR));
    }
  }

  /** A problem at the listener's line, keyed {@code gantry.listeners[i]}. */
  public static ConfigProblem listenerProblem(GantryConfig config, ListenerConfig listener, String message) {
    return new ConfigProblem(listener.file() == null ? config.file().toString() : listener.file(), listener.line(),
        "gantry.listeners[" + config.listeners().indexOf(listener) + "]", message, ConfigProblem.Severity.ERROR);
  }
}
