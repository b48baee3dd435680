package io.gantry.server.admin;

import com.codahale.metrics.health.HealthCheck;
import com.codahale.metrics.health.HealthCheckRegistry;
import io.gantry.proxy.upstream.InstanceStatus;
import io.gantry.proxy.upstream.Upstream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * Healthy when at least one instance of an upstream takes requests: the proxy has it in service
 * (not ejected, not failing its health check) and a TCP connection to it opens within a short
 * timeout. The message lists every instance's state, so {@code /healthcheck} shows which one of a
 * pool is out and why.
 *
 * <p>Messages name instances by {@code host:port}, never by URL, so that nothing but the admin
 * port sees paths or repository names.
 *
 * <pre>{@code
 * UpstreamHealthCheck.registerAll(healthChecks, Map.of("nexus", nexus), proxy::instances);
 * // /healthcheck: {"upstream.nexus":{"healthy":true,"message":"upstream 'nexus': 1 of 2 instances up:
 * //   nexus-a:8081 up; nexus-b:8081 ejected for 1800 ms (ConnectException: Connection refused)"}}
 * }</pre>
 */
public final class UpstreamHealthCheck extends HealthCheck {
  /** How long a connect may take before the instance counts as unhealthy. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(1);
  /** Health checks are registered as {@code upstream.<name>}. */
  public static final String PREFIX = "upstream.";

  private final String name;
  private final Upstream upstream;
  private final Function<Upstream, List<InstanceStatus>> states;
  private final int timeoutMillis;

  /**
   * @param states the proxy's view of the upstream's instances ({@code RoutingProxy::instances})
   */
  public UpstreamHealthCheck(String name, Upstream upstream, Function<Upstream, List<InstanceStatus>> states,
      Duration timeout) {
    this.name = Objects.requireNonNull(name, "name");
    this.upstream = Objects.requireNonNull(upstream, "upstream");
    this.states = Objects.requireNonNull(states, "states");
    long millis = timeout.toMillis();
    if (millis < 1 || millis > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("timeout: " + timeout + " (expected: at least 1 ms)");
    }
    this.timeoutMillis = (int) millis;
  }

  /** Registers one check per upstream, as {@code upstream.<name>}. */
  public static void registerAll(HealthCheckRegistry registry, Map<String, Upstream> upstreams,
      Function<Upstream, List<InstanceStatus>> states) {
    upstreams.forEach((name, upstream) ->
        registry.register(PREFIX + name, new UpstreamHealthCheck(name, upstream, states, DEFAULT_TIMEOUT)));
  }

  /**
   * The upstreams and their instances' states as text, for {@code /routes}: one line per
   * upstream (its balancing and check), one per instance.
   */
  public static String describe(Map<String, Upstream> upstreams, Function<Upstream, List<InstanceStatus>> states) {
    StringBuilder b = new StringBuilder("\nupstreams:\n");
    upstreams.forEach((name, upstream) -> {
      b.append("  ").append(name);
      if (upstream.instances().size() > 1) {
        b.append("  ").append(upstream.balance().label()).append(upstream.sticky() ? ", sticky" : "")
            .append(", eject after ").append(upstream.ejectAfter()).append(" failures, retries ").append(upstream.retries());
      }
      if (upstream.healthCheck() != null) {
        b.append("  check ").append(upstream.healthCheck());
      }
      b.append('\n');
      for (InstanceStatus s : states.apply(upstream)) {
        b.append("    ").append(s.url()).append("  ").append(state(s)).append(", in flight ").append(s.inFlight()).append('\n');
      }
    });
    return b.toString();
  }

  private static String state(InstanceStatus s) {
    String state = s.state() + (s.ejectedForMillis() > 0 ? " for " + s.ejectedForMillis() + " ms" : "");
    return s.isUp() || s.lastFailure() == null ? state : state + " (" + s.lastFailure() + ")";
  }

  @Override
  protected Result check() {
    List<InstanceStatus> now = states.apply(upstream);
    List<String> parts = new ArrayList<>();
    int up = 0;
    for (int i = 0; i < upstream.instances().size(); i++) {
      Upstream.Instance instance = upstream.instances().get(i);
      String where = instance.host() + ":" + instance.port();
      InstanceStatus status = i < now.size() ? now.get(i) : null;
      if (status != null && !status.isUp()) {
        parts.add(where + " " + state(status));
        continue;
      }
      String refused = connect(instance);
      if (refused == null) {
        up++;
        parts.add(where + " up");
      } else {
        parts.add(where + " does not accept connections: " + refused);
      }
    }
    String message = "upstream '" + name + "': " + up + " of " + upstream.instances().size() + " instance"
        + (upstream.instances().size() == 1 ? "" : "s") + " up: " + String.join("; ", parts);
    return up > 0 ? Result.healthy(message) : Result.unhealthy(message);
  }

  /** Null when a connection opens, otherwise why not. */
  private String connect(Upstream.Instance instance) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(instance.host(), instance.port()), timeoutMillis);
      return null;
    } catch (IOException | IllegalArgumentException | SecurityException e) {
      // Not Result.unhealthy(e): a stack trace says nothing an operator needs here.
      String message = e.getMessage();
      return e.getClass().getSimpleName() + (message == null ? "" : " (" + message + ")");
    }
  }

  @Override
  public String toString() {
    return "UpstreamHealthCheck[" + name + " " + upstream.instances().size() + " instances]";
  }
}
