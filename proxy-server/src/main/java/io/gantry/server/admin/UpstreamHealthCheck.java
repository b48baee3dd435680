package io.gantry.server.admin;

import com.codahale.metrics.health.HealthCheck;
import com.codahale.metrics.health.HealthCheckRegistry;
import io.gantry.proxy.upstream.Upstream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * Healthy when a TCP connection to an upstream's host and port opens within a short timeout. It
 * says nothing about HTTP (a backend may accept connections and still answer 503), but it tells a
 * dead or unreachable backend apart from a slow route, without sending it requests.
 *
 * <p>Messages name the upstream by its configured name and {@code host:port}, never by URL, so
 * credentials in a URL cannot leak into {@code /healthcheck}.
 *
 * <pre>{@code
 * UpstreamHealthCheck.registerAll(healthChecks, Map.of("nexus", Upstream.of("http://nexus:8081/")));
 * // /healthcheck: {"upstream.nexus":{"healthy":true,"message":"upstream 'nexus' accepts connections at nexus:8081"}}
 * }</pre>
 */
public final class UpstreamHealthCheck extends HealthCheck {
  /** How long a connect may take before the upstream counts as unhealthy. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(1);
  /** Health checks are registered as {@code upstream.<name>}. */
  public static final String PREFIX = "upstream.";

  private final String name;
  private final String host;
  private final int port;
  private final int timeoutMillis;

  public UpstreamHealthCheck(String name, Upstream upstream) {
    this(name, upstream, DEFAULT_TIMEOUT);
  }

  public UpstreamHealthCheck(String name, Upstream upstream, Duration timeout) {
    this.name = Objects.requireNonNull(name, "name");
    this.host = upstream.host();
    this.port = upstream.port();
    long millis = timeout.toMillis();
    if (millis < 1 || millis > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("timeout: " + timeout + " (expected: at least 1 ms)");
    }
    this.timeoutMillis = (int) millis;
  }

  /** Registers one check per upstream, as {@code upstream.<name>}. */
  public static void registerAll(HealthCheckRegistry registry, Map<String, Upstream> upstreams) {
    upstreams.forEach((name, upstream) -> registry.register(PREFIX + name, new UpstreamHealthCheck(name, upstream)));
  }

  @Override
  protected Result check() {
    String where = host + ":" + port;
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(host, port), timeoutMillis);
      return Result.healthy("upstream '%s' accepts connections at %s", name, where);
    } catch (IOException | IllegalArgumentException | SecurityException e) {
      // Not Result.unhealthy(e): a stack trace says nothing an operator needs here.
      return Result.unhealthy("upstream '%s' does not accept connections at %s: %s", name, where, describe(e));
    }
  }

  private static String describe(Exception e) {
    String message = e.getMessage();
    return e.getClass().getSimpleName() + (message == null ? "" : " (" + message + ")");
  }

  @Override
  public String toString() {
    return "UpstreamHealthCheck[" + name + " " + host + ":" + port + "]";
  }
}
