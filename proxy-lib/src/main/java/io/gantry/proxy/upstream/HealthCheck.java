package io.gantry.proxy.upstream;

import io.gantry.proxy.validation.InvalidSettingException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * An active check of each instance of an {@link Upstream}: a {@code GET} of {@link #path()} every
 * {@link #interval()}; an instance failing it {@link #unhealthyAfter()} times in a row takes no
 * requests until it passes {@link #healthyAfter()} times in a row.
 *
 * <pre>{@code
 * HealthCheck.of("/service/rest/v1/status")          // Nexus; on the instance's root
 * HealthCheck.of("v2/").expect("200-299,401")       // under the upstream's prefix; 401 = registry up, auth on
 *     .interval(Duration.ofSeconds(2))
 * }</pre>
 */
public final class HealthCheck {
  /** Default time between two checks of an instance. */
  public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(5);
  /** Default time a check may take. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);
  /** Default statuses of a passing check. */
  public static final String DEFAULT_EXPECT = "200-399";

  private final String path;
  private final Duration interval;
  private final Duration timeout;
  private final String expect;
  private final int[] ranges;
  private final int unhealthyAfter;
  private final int healthyAfter;

  private HealthCheck(String path, Duration interval, Duration timeout, String expect, int unhealthyAfter, int healthyAfter) {
    if (path == null || path.isEmpty() || path.startsWith("?") || path.contains("#")
        || path.contains("..") || path.chars().anyMatch(c -> c <= ' ' || c >= 127)) {
      throw new InvalidSettingException("path", "'" + path + "' (expected: a path such as /service/rest/v1/status, or v2/ under the upstream's prefix)");
    }
    if (interval.isNegative() || interval.isZero()) {
      throw new InvalidSettingException("interval", interval + " (expected: > 0)");
    }
    if (timeout.isNegative() || timeout.isZero()) {
      throw new InvalidSettingException("timeout", timeout + " (expected: > 0)");
    }
    if (unhealthyAfter < 1 || healthyAfter < 1) {
      throw new InvalidSettingException(unhealthyAfter < 1 ? "unhealthyAfter" : "healthyAfter",
          Math.min(unhealthyAfter, healthyAfter) + " (expected: 1 or more checks in a row)");
    }
    this.path = path;
    this.interval = interval;
    this.timeout = timeout;
    this.expect = expect;
    this.ranges = parse(expect);
    this.unhealthyAfter = unhealthyAfter;
    this.healthyAfter = healthyAfter;
  }

  /**
   * A check of {@code path}: on the instance's root when it starts with {@code /}, otherwise
   * under the upstream's prefix; every 5 s, 2 s allowed, 200-399 expected.
   */
  public static HealthCheck of(String path) {
    return new HealthCheck(path, DEFAULT_INTERVAL, DEFAULT_TIMEOUT, DEFAULT_EXPECT, 2, 1);
  }

  /** This check every {@code interval}. */
  public HealthCheck interval(Duration interval) {
    return new HealthCheck(path, Objects.requireNonNull(interval, "interval"), timeout, expect, unhealthyAfter, healthyAfter);
  }

  /** This check, failing when it takes longer than {@code timeout}. */
  public HealthCheck timeout(Duration timeout) {
    return new HealthCheck(path, interval, Objects.requireNonNull(timeout, "timeout"), expect, unhealthyAfter, healthyAfter);
  }

  /** This check, passing on the statuses {@code expect} lists: {@code "200-299,401"}. */
  public HealthCheck expect(String expect) {
    return new HealthCheck(path, interval, timeout, Objects.requireNonNull(expect, "expect"), unhealthyAfter, healthyAfter);
  }

  /** This check, taking an instance out after {@code unhealthy} failures in a row and back after {@code healthy} passes (default 2 and 1). */
  public HealthCheck thresholds(int unhealthy, int healthy) {
    return new HealthCheck(path, interval, timeout, expect, unhealthy, healthy);
  }

  public String path() {
    return path;
  }

  public Duration interval() {
    return interval;
  }

  public Duration timeout() {
    return timeout;
  }

  /** The passing statuses as written: {@code 200-399}. */
  public String expect() {
    return expect;
  }

  public int unhealthyAfter() {
    return unhealthyAfter;
  }

  public int healthyAfter() {
    return healthyAfter;
  }

  /** Whether a check answered {@code status} passed. */
  public boolean passes(int status) {
    for (int i = 0; i < ranges.length; i += 2) {
      if (status >= ranges[i] && status <= ranges[i + 1]) {
        return true;
      }
    }
    return false;
  }

  /** The URL to check on {@code instance} of {@code upstream}. */
  public String url(Upstream.Instance instance) {
    return path.startsWith("/") ? instance.origin() + path : instance.target("/" + path, null);
  }

  private static int[] parse(String expect) {
    List<Integer> bounds = new ArrayList<>();
    for (String part : expect.split(",", -1)) {
      String p = part.trim();
      int dash = p.indexOf('-');
      try {
        int low = Integer.parseInt(dash < 0 ? p : p.substring(0, dash).trim());
        int high = dash < 0 ? low : Integer.parseInt(p.substring(dash + 1).trim());
        if (low < 100 || high > 599 || low > high) {
          throw new NumberFormatException();
        }
        bounds.add(low);
        bounds.add(high);
      } catch (NumberFormatException e) {
        throw new InvalidSettingException("expect", "'" + expect + "' (expected: statuses and ranges such as 200-399 or 200-299,401)");
      }
    }
    return bounds.stream().mapToInt(Integer::intValue).toArray();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof HealthCheck h && h.path.equals(path) && h.interval.equals(interval) && h.timeout.equals(timeout)
        && h.expect.equals(expect) && h.unhealthyAfter == unhealthyAfter && h.healthyAfter == healthyAfter;
  }

  @Override
  public int hashCode() {
    return Objects.hash(path, interval, expect);
  }

  /** {@code GET /v2/ every 5s within 2s, expect 200-399}. */
  @Override
  public String toString() {
    return "GET " + path + " every " + interval.toString().substring(2).toLowerCase(java.util.Locale.ROOT)
        + " within " + timeout.toString().substring(2).toLowerCase(java.util.Locale.ROOT) + ", expect " + expect;
  }
}
