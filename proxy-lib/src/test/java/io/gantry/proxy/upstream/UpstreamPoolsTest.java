package io.gantry.proxy.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gantry.proxy.validation.InvalidSettingException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Instance state on a clock the test moves: ejection, back-off doubling, trials, checks. */
class UpstreamPoolsTest {
  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final List<String> changes = new ArrayList<>();
  private final UpstreamPools pools = new UpstreamPools((u, i, s) -> changes.add(i.port() + " " + s.state()), now::get);
  private final Upstream pool = Upstream.builder(List.of("http://a:1/p/", "http://b:2/p/"))
      .ejectAfter(2).ejection(Duration.ofSeconds(2), Duration.ofSeconds(5)).build();
  private final Upstream.Instance a = pool.instances().get(0);
  private final Upstream.Instance b = pool.instances().get(1);

  private void advance(Duration d) {
    now.addAndGet(d.toNanos());
  }

  @Test
  void ejectedAfterConsecutiveFailuresForABackOffThatDoublesUpToTheLongest() {
    pools.failed(pool, a, "refused");
    assertEquals("up", pools.status(pool).get(0).state(), "one failure is not enough");
    pools.failed(pool, a, "refused");
    assertEquals("ejected", pools.status(pool).get(0).state());
    assertEquals(2000, pools.status(pool).get(0).ejectedForMillis());
    for (int i = 0; i < 4; i++) {
      assertEquals(b, pools.pick(pool, null, Set.of()), "only b while a is out");
    }
    advance(Duration.ofMillis(2001));
    assertEquals("up", pools.status(pool).get(0).state(), "back-off over: a gets a trial");
    pools.failed(pool, a, "refused"); // the trial failed: out again at once, twice as long
    assertEquals(4000, pools.status(pool).get(0).ejectedForMillis());
    advance(Duration.ofMillis(4001));
    pools.failed(pool, a, "refused");
    assertEquals(5000, pools.status(pool).get(0).ejectedForMillis(), "capped at the longest");
    advance(Duration.ofMillis(5001));
    pools.succeeded(pool, a);
    assertEquals("up", pools.status(pool).get(0).state());
    pools.failed(pool, a, "refused");
    pools.failed(pool, a, "refused");
    assertEquals(2000, pools.status(pool).get(0).ejectedForMillis(), "a success resets the back-off");
    assertEquals(List.of("1 ejected", "1 ejected", "1 ejected", "1 up", "1 ejected"), changes);
  }

  @Test
  void aSuccessBetweenFailuresKeepsAnInstanceIn() {
    for (int i = 0; i < 5; i++) {
      pools.failed(pool, a, "503");
      pools.succeeded(pool, a);
    }
    assertTrue(pools.status(pool).get(0).isUp());
  }

  @Test
  void noInstanceUpPicksNone() {
    for (Upstream.Instance i : pool.instances()) {
      pools.failed(pool, i, "x");
      pools.failed(pool, i, "x");
    }
    assertNull(pools.pick(pool, null, Set.of()));
    assertNull(pools.pick(pool, null, Set.of(a.origin(), b.origin())));
  }

  @Test
  void leastRequestsPicksTheIdlerInstance() {
    Upstream least = Upstream.builder(List.of("http://a:1/", "http://b:2/")).balance(Balance.LEAST_REQUESTS).build();
    pools.started(least.instances().get(0));
    pools.started(least.instances().get(0));
    pools.started(least.instances().get(1));
    for (int i = 0; i < 4; i++) {
      assertEquals(least.instances().get(1), pools.pick(least, null, Set.of()));
    }
    pools.finished(least.instances().get(0));
    pools.finished(least.instances().get(0));
    assertEquals(least.instances().get(0), pools.pick(least, null, Set.of()));
  }

  @Test
  void healthIsPerServerSharedByUpstreamsWithOtherPrefixes() {
    Upstream other = Upstream.builder(List.of("http://a:1/q/", "http://b:2/q/")).build();
    pools.failed(pool, a, "refused");
    pools.failed(pool, a, "refused");
    assertEquals("ejected", pools.status(other).get(0).state());
  }

  @Test
  void aPassingCheckEndsAnEjectionAndAFailingOneTakesTheInstanceOut() {
    Upstream checked = Upstream.builder(List.of("http://a:1/", "http://b:2/"))
        .healthCheck(HealthCheck.of("/status").thresholds(2, 1)).build();
    Upstream.Instance first = checked.instances().get(0);
    pools.failed(checked, first, "refused");
    pools.failed(checked, first, "refused");
    pools.checked(checked, first, true, "answered 200");
    assertEquals("up", pools.status(checked).get(0).state());
    pools.checked(checked, first, false, "answered 500");
    assertEquals("up", pools.status(checked).get(0).state(), "one failed check of two");
    pools.checked(checked, first, false, "answered 500");
    assertEquals("failing-check", pools.status(checked).get(0).state());
    assertEquals("health check: answered 500", pools.status(checked).get(0).lastFailure());
    pools.checked(checked, first, true, "answered 200");
    assertEquals("up", pools.status(checked).get(0).state());
  }

  @Test
  void aSingleInstanceIsOnlyTakenOutByItsOwnCheck() {
    Upstream checkedPool = Upstream.builder(List.of("http://a:1/p/", "http://b:2/p/"))
        .healthCheck(HealthCheck.of("/status").thresholds(1, 1)).build();
    Upstream lone = Upstream.of("http://a:1/other/");
    Upstream loneChecked = Upstream.builder("http://a:1/third/").healthCheck(HealthCheck.of("/status")).build();
    pools.checked(checkedPool, checkedPool.instances().get(0), false, "answered 500");
    assertEquals("failing-check", pools.status(checkedPool).get(0).state());
    assertEquals(lone.instances().get(0), pools.pick(lone, null, Set.of()), "no check of its own: always tried");
    assertNull(pools.pick(loneChecked, null, Set.of()), "its own check says the server is down");
  }

  @Test
  void poolsAreValidated() {
    assertEquals("url", assertThrows(InvalidSettingException.class,
        () -> Upstream.builder(List.of("http://a:1/p/", "http://b:2/other/")).build()).setting());
    assertEquals("url", assertThrows(InvalidSettingException.class,
        () -> Upstream.builder(List.of("http://a:1/p/", "https://b:2/p/")).build()).setting());
    assertEquals("url", assertThrows(InvalidSettingException.class,
        () -> Upstream.builder(List.of("http://a:1/p/", "http://A:1/p")).build()).setting());
    assertEquals("url", assertThrows(InvalidSettingException.class, () -> Upstream.builder(List.of()).build()).setting());
    assertEquals("retries", assertThrows(InvalidSettingException.class,
        () -> Upstream.builder("http://a/").retries(-1).build()).setting());
    assertEquals("failureStatuses", assertThrows(InvalidSettingException.class,
        () -> Upstream.builder("http://a/").failureStatuses(Set.of(404)).build()).setting());
    assertEquals("maxEjection", assertThrows(InvalidSettingException.class,
        () -> Upstream.builder("http://a/").ejection(Duration.ofSeconds(10), Duration.ofSeconds(1)).build()).setting());
    assertEquals("expect", assertThrows(InvalidSettingException.class, () -> HealthCheck.of("/x").expect("2xx")).setting());
    assertTrue(HealthCheck.of("/x").expect("200-299, 401").passes(401));
    assertEquals("GET /x every 5s within 2s, expect 200-399", HealthCheck.of("/x").toString());
    assertEquals("http://a:1/p/v2/", HealthCheck.of("v2/").url(a));
    assertEquals("http://a:1/status", HealthCheck.of("/status").url(a));
  }
}
