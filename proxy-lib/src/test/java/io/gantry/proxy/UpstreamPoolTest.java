package io.gantry.proxy;

import static io.gantry.proxy.route.RouteStrategies.any;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gantry.proxy.route.Route;
import io.gantry.proxy.route.RouteTable;
import io.gantry.proxy.testing.Await;
import io.gantry.proxy.testing.Backend;
import io.gantry.proxy.testing.Proxy;
import io.gantry.proxy.testing.Proxy.Engine;
import io.gantry.proxy.upstream.Balance;
import io.gantry.proxy.upstream.HealthCheck;
import io.gantry.proxy.upstream.InstanceStatus;
import io.gantry.proxy.upstream.Upstream;
import io.restassured.response.Response;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;
import org.eclipse.jetty.io.Content;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Upstreams with several instances, against real backends: balancing, ejection of a dead or
 * failing instance, retries only where they are safe, 503 at once when none is up, and active
 * health checks that take instances out and bring them back.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(Engine.class)
class UpstreamPoolTest {
  @Parameter
  Engine engine;

  private final List<AutoCloseable> closing = new ArrayList<>();
  private final List<String> events = new CopyOnWriteArrayList<>();
  private Backend a;
  private Backend b;
  private Proxy proxy;
  private Upstream upstream;

  @BeforeEach
  void backends() throws Exception {
    a = new Backend("a");
    b = new Backend("b");
    closing.add(a);
    closing.add(b);
  }

  @AfterEach
  void stop() throws Exception {
    if (proxy != null) {
      proxy.close();
    }
    for (AutoCloseable c : closing) {
      c.close();
    }
  }

  private static String url(int port) {
    return "http://127.0.0.1:" + port + "/repository/docker-group/";
  }

  /** A port nothing listens on: connections are refused at once. */
  private static int deadPort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private void start(UnaryOperator<Upstream.Builder> settings, int... ports) throws Exception {
    List<String> urls = new ArrayList<>();
    for (int port : ports) {
      urls.add(url(port));
    }
    upstream = settings.apply(Upstream.builder(urls)).build();
    RouteTable routes = RouteTable.builder().route(Route.of("registry", any(), upstream)).build();
    ProxyObserver recorder = new ProxyObserver() {
      @Override
      public void onRetried(ProxyExchange exchange, Throwable failure) {
        events.add("retried " + exchange.method() + " to " + exchange.instance().port());
      }

      @Override
      public void onInstanceChanged(Upstream u, InstanceStatus status) {
        events.add(status.state() + " " + status.url());
      }
    };
    proxy = new Proxy(engine, p -> p.routes(routes).observer(recorder));
  }

  private Response get(String path) {
    return given().port(proxy.port()).header("Host", "registry.example.com").get(path);
  }

  private Map<String, Integer> spread(int requests) {
    Map<String, Integer> byBackend = new HashMap<>();
    for (int i = 0; i < requests; i++) {
      Response r = get("/v2/x");
      assertEquals(200, r.statusCode(), r.asString());
      byBackend.merge(r.header("X-Backend"), 1, Integer::sum);
    }
    return byBackend;
  }

  private InstanceStatus status(int index) {
    return proxy.instances(upstream).get(index);
  }

  @Test
  void roundRobinTakesEachInstanceInTurn() throws Exception {
    start(u -> u, a.port(), b.port());
    assertEquals(Map.of("a", 5, "b", 5), spread(10));
    assertTrue(status(0).isUp() && status(1).isUp(), proxy.instances(upstream).toString());
  }

  @Test
  void stickyKeepsAClientOnOneInstance() throws Exception {
    start(u -> u.sticky(true), a.port(), b.port());
    assertEquals(1, spread(8).size());
  }

  @Test
  void leastRequestsAvoidsTheBusyInstance() throws Exception {
    // b holds one request open; a is free, so everything else goes to a.
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    b.respondWith((request, response, seen, callback) -> {
      new Thread(() -> {
        try {
          release.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        response.getHeaders().put("X-Backend", "b");
        Content.Sink.write(response, true, "b", callback);
      }).start();
    });
    start(u -> u.balance(Balance.LEAST_REQUESTS), b.port(), a.port());
    Thread held = new Thread(() -> get("/v2/held"));
    held.start();
    Await.until(() -> b.all().size() == 1);
    assertEquals(Map.of("a", 6), spread(6));
    release.countDown();
    held.join(10_000);
  }

  @Test
  void aDeadInstanceCostsClientsNothingAndIsEjected() throws Exception {
    int dead = deadPort();
    start(u -> u, dead, a.port());
    assertEquals(Map.of("a", 10), spread(10), "GETs that met the dead instance were sent to the live one");
    assertTrue(events.stream().anyMatch(e -> e.startsWith("retried GET to " + a.port())), events.toString());
    assertEquals("ejected", status(0).state(), proxy.instances(upstream).toString());
    assertTrue(status(0).lastFailure().contains("Connect"), status(0).lastFailure());
    assertTrue(events.contains("ejected " + url(dead)), events.toString());
    // ejected: the dead instance is not even tried, so no more retries pile up
    int retries = (int) events.stream().filter(e -> e.startsWith("retried")).count();
    spread(6);
    assertEquals(retries, events.stream().filter(e -> e.startsWith("retried")).count(), events.toString());
  }

  @Test
  void aRequestWithABodyIsNeverSentTwice() throws Exception {
    int dead = deadPort();
    start(u -> u, dead, a.port()); // round-robin starts with the first instance: the dead one
    Response r = given().port(proxy.port()).header("Host", "registry.example.com").body("layer bytes")
        .put("/v2/x/blobs/uploads/1");
    assertEquals(502, r.statusCode(), r.asString());
    assertTrue(a.all().isEmpty(), "the body went to a second instance: " + a.all());
    assertTrue(events.stream().noneMatch(e -> e.startsWith("retried")), events.toString());
  }

  @Test
  void aBodylessPostThatNeverLeftIsSentElsewhere() throws Exception {
    // POST /blobs/uploads/ starts a push: not idempotent, but a refused connection means it never arrived.
    int dead = deadPort();
    start(u -> u, dead, a.port());
    Response r = given().port(proxy.port()).header("Host", "registry.example.com").post("/v2/x/blobs/uploads/");
    assertEquals(200, r.statusCode(), r.asString());
    assertEquals("POST", a.next().method());
  }

  @Test
  void whenNoInstanceIsUpTheAnswerIs503AtOnce() throws Exception {
    int dead1 = deadPort();
    int dead2 = deadPort();
    start(u -> u.ejectAfter(1).ejection(Duration.ofSeconds(30), Duration.ofSeconds(60)), dead1, dead2);
    get("/v2/").then().statusCode(502); // both tried (one retry), both ejected
    assertEquals(List.of("ejected", "ejected"), proxy.instances(upstream).stream().map(InstanceStatus::state).toList());
    long start = System.nanoTime();
    Response r = get("/v2/library/x/manifests/1");
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    r.then().statusCode(503).body(containsString("\"code\":\"UNAVAILABLE\""))
        .body(not(containsString("127.0.0.1"))).body(not(containsString(String.valueOf(dead1))));
    assertTrue(Integer.parseInt(r.header("Retry-After")) >= 1, r.headers().toString());
    assertTrue(millis < 5000, "503 took " + millis + " ms");
  }

  @Test
  void anInstanceAnswering503ToReadsIsEjectedAndTheOtherServes() throws Exception {
    b.respondWith((request, response, seen, callback) -> {
      response.setStatus(503);
      Content.Sink.write(response, true, "blob store unavailable", callback);
    });
    start(u -> u.ejectAfter(2), b.port(), a.port());
    int failed = 0;
    for (int i = 0; i < 10; i++) {
      failed += get("/v2/x").statusCode() == 503 ? 1 : 0;
    }
    assertEquals(2, failed, "two 503s reach clients (a response is never retried), then b is out");
    assertEquals("ejected", status(0).state());
  }

  @Test
  void aStalledInstanceTimesOutAndTheReadIsRetried() throws Exception {
    // accepts connections (the kernel does), never answers
    ServerSocket stalled = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    closing.add(stalled);
    start(u -> u.idleTimeout(Duration.ofMillis(700)), stalled.getLocalPort(), a.port());
    long start = System.nanoTime();
    Response r = get("/v2/slow");
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertEquals(200, r.statusCode(), r.asString());
    assertEquals("a", r.header("X-Backend"));
    assertTrue(millis >= 600 && millis < 5000, "took " + millis + " ms");
  }

  @Test
  void aHealthCheckTakesAnInstanceOutAndBringsItBack() throws Exception {
    AtomicBoolean sick = new AtomicBoolean(true);
    b.respondWith((request, response, seen, callback) -> {
      boolean check = seen.rawTarget().equals("/health");
      response.setStatus(check && sick.get() ? 503 : 200);
      response.getHeaders().put("X-Backend", "b");
      Content.Sink.write(response, true, "b", callback);
    });
    start(u -> u.healthCheck(HealthCheck.of("/health").interval(Duration.ofMillis(100)).thresholds(1, 1)),
        a.port(), b.port());
    Await.until(() -> status(1).state().equals("failing-check"));
    assertEquals(Map.of("a", 6), spread(6));
    assertTrue(b.all().stream().allMatch(s -> s.rawTarget().equals("/health")
        && "gantry-health-check".equals(s.header("User-Agent"))), "b got only checks");
    sick.set(false);
    Await.until(() -> status(1).isUp());
    assertEquals(Map.of("a", 3, "b", 3), spread(6));
    assertTrue(events.contains("failing-check " + url(b.port())) && events.contains("up " + url(b.port())), events.toString());
  }

  @Test
  void whenEveryInstanceFailsItsCheckThe503SaysWhenToRetry() throws Exception {
    b.respondWith((request, response, seen, callback) -> {
      response.setStatus(503);
      Content.Sink.write(response, true, "down", callback);
    });
    start(u -> u.healthCheck(HealthCheck.of("/health").interval(Duration.ofSeconds(3)).thresholds(1, 1)), b.port());
    Await.until(() -> status(0).state().equals("failing-check"));
    Response r = get("/v2/");
    assertEquals(503, r.statusCode(), r.asString());
    assertEquals("3", r.header("Retry-After"), "the next check");
  }

  @Test
  void aSingleInstanceWithoutACheckIsAlwaysTried() throws Exception {
    int dead = deadPort();
    start(u -> u.ejectAfter(1), dead);
    for (int i = 0; i < 3; i++) {
      get("/v2/").then().statusCode(502); // never 503: nginx's rule for a lone server
    }
    assertTrue(status(0).isUp(), status(0).toString());
  }
}
