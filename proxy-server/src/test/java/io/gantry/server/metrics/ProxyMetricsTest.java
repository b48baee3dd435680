package io.gantry.server.metrics;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
import io.gantry.proxy.metrics.ProxyMetrics;
import io.gantry.server.accesslog.AccessLog;
import io.gantry.server.testing.Await;
import io.gantry.server.testing.Gantry;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The library's {@link ProxyMetrics} as gantry wires it (servlet engine, named upstreams, admin
 * registry), recorded by a real RoutingProxyServlet in front of a real backend; and the server's
 * own metrics ({@link ServerMetrics}: connections, thread pool, certificate expiry).
 */
class ProxyMetricsTest {
  private Gantry gantry;
  private MetricRegistry registry;

  @BeforeEach
  void start() throws Exception {
    gantry = new Gantry(AccessLog.Format.COMBINED);
    registry = gantry.metrics;
  }

  @AfterEach
  void stop() throws Exception {
    gantry.close();
  }

  @Test
  void knownRoutesExistAtZeroBeforeTraffic() {
    for (String route : List.of("pull", "push", "down", "idle")) {
      String p = "gantry.route." + route + ".";
      assertEquals(0, registry.timer(p + "requests").getCount(), p);
      for (int c = 1; c <= 5; c++) {
        assertTrue(registry.getMeters().containsKey(p + "responses." + c + "xx"), p + c);
      }
      assertTrue(registry.getCounters().containsKey(p + "bytes-in"));
      assertTrue(registry.getCounters().containsKey(p + "bytes-out"));
      assertTrue(registry.getMeters().containsKey(p + "upstream-errors"));
      assertTrue(registry.getMeters().containsKey(p + "refused"));
    }
    for (String upstream : List.of("nexus", "mirror")) {
      assertEquals(0, registry.timer("gantry.upstream." + upstream + ".requests").getCount(), upstream);
      assertTrue(registry.getMeters().containsKey("gantry.upstream." + upstream + ".upstream-errors"), upstream);
    }
  }

  @Test
  void proxiedRequestIsCountedOnItsRouteWithStatusClassAndBytes() throws Exception {
    given().port(gantry.proxyPort()).get("/v2/bytes/1234").then().statusCode(200);
    given().port(gantry.proxyPort()).body("0123456789").put("/v2/status/201").then().statusCode(201);

    Await.equal(1L, () -> registry.timer("gantry.route.pull.requests").getCount());
    Await.equal(1L, () -> registry.timer("gantry.route.push.requests").getCount());
    assertEquals(1, registry.meter("gantry.route.pull.responses.2xx").getCount());
    assertEquals(1234, registry.counter("gantry.route.pull.bytes-out").getCount());
    assertEquals(0, registry.counter("gantry.route.pull.bytes-in").getCount());
    assertEquals(1, registry.meter("gantry.route.push.responses.2xx").getCount());
    assertEquals(10, registry.counter("gantry.route.push.bytes-in").getCount());
    assertTrue(registry.timer("gantry.route.pull.requests").getSnapshot().getMax() > 0, "latency recorded");
    assertEquals(0, registry.timer("gantry.route.idle.requests").getCount());
    Await.equal(2L, () -> registry.timer("gantry.upstream.nexus.requests").getCount());
    assertEquals(10, registry.counter("gantry.upstream.nexus.bytes-in").getCount());
    assertEquals(2, registry.meter("gantry.upstream.nexus.responses.2xx").getCount());
  }

  @Test
  void backendStatusesAreCountedByClass() throws Exception {
    given().port(gantry.proxyPort()).get("/v2/status/404").then().statusCode(404);
    given().port(gantry.proxyPort()).get("/v2/status/503").then().statusCode(503);
    given().port(gantry.proxyPort()).get("/v2/status/302").then().statusCode(302);

    Await.equal(3L, () -> registry.timer("gantry.route.pull.requests").getCount());
    assertEquals(1, registry.meter("gantry.route.pull.responses.3xx").getCount());
    assertEquals(1, registry.meter("gantry.route.pull.responses.4xx").getCount());
    assertEquals(1, registry.meter("gantry.route.pull.responses.5xx").getCount());
    assertEquals(0, registry.meter("gantry.route.pull.responses.2xx").getCount());
    assertEquals(0, registry.meter("gantry.route.pull.upstream-errors").getCount(), "a backend 503 is no upstream error");
  }

  @Test
  void unroutedRequestsAreCountedApartByRefusalStatus() throws Exception {
    given().port(gantry.proxyPort()).get("/nowhere").then().statusCode(404);

    Await.equal(1L, () -> registry.timer("gantry.unrouted.requests").getCount());
    assertEquals(1, registry.meter("gantry.unrouted.refused.404").getCount());
    assertEquals(1, registry.meter("gantry.unrouted.refused.no-route").getCount());
    assertEquals(1, registry.meter("gantry.unrouted.responses.4xx").getCount());
    assertTrue(registry.getNames().stream().noneMatch(n -> n.startsWith("gantry.route.-")), "no route named '-'");
  }

  @Test
  void unreachableUpstreamCountsAnUpstreamError() throws Exception {
    given().port(gantry.proxyPort()).get("/down/x").then().statusCode(502);

    Await.equal(1L, () -> registry.timer("gantry.route.down.requests").getCount());
    assertEquals(1, registry.meter("gantry.route.down.upstream-errors").getCount());
    assertEquals(1, registry.meter("gantry.route.down.responses.5xx").getCount());
    Await.equal(1L, () -> registry.meter("gantry.upstream.mirror.upstream-errors").getCount());
  }

  @Test
  void routesUnknownAtStartAreCreatedOnFirstUse() {
    MetricRegistry fresh = new MetricRegistry();
    ProxyMetrics.builder(fresh).build();
    assertTrue(fresh.getNames().stream().noneMatch(n -> n.startsWith("gantry.route.")));
    // Driven through the real servlet in the tests above; here the registry must start empty of routes.
    assertTrue(fresh.getTimers().containsKey("gantry.unrouted.requests"));
  }

  @Test
  @SuppressWarnings("unchecked")
  void certificateExpiryGaugeCountsWholeDaysAndIsReplacedOnReload() {
    Instant now = Instant.parse("2025-03-01T12:00:00Z");
    MetricRegistry fresh = new MetricRegistry();
    Clock clock = Clock.fixed(now, ZoneOffset.UTC);
    String name = "gantry.tls.certificate.registry.days-to-expiry";

    ServerMetrics.registerCertificateExpiry(fresh, "registry", now.plus(Duration.ofDays(30)).plusSeconds(60), clock);
    assertEquals(30L, ((Gauge<Long>) fresh.getGauges().get(name)).getValue());
    ServerMetrics.registerCertificateExpiry(fresh, "registry", now.plus(Duration.ofDays(90)), clock);
    assertEquals(90L, ((Gauge<Long>) fresh.getGauges().get(name)).getValue());
    ServerMetrics.registerCertificateExpiry(fresh, "registry", now.minus(Duration.ofDays(2)), clock);
    assertEquals(-2L, ((Gauge<Long>) fresh.getGauges().get(name)).getValue());
  }

  @Test
  void connectionsAndThreadPoolAreInstrumented() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", gantry.proxyPort())) {
      socket.getOutputStream().write("GET /v2/x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
      assertTrue(response.startsWith("HTTP/1.1 200"), response);
    }
    // The timer records a connection when it closes.
    Await.equal(1L, () -> registry.timer("gantry.listener.public.connections").getCount());
    Await.equal(0L, () -> registry.counter("gantry.listener.public.active-connections").getCount());
    assertTrue(registry.getGauges().keySet().stream().anyMatch(n -> n.startsWith(ServerMetrics.THREAD_POOL_PREFIX + ".gantry.")),
        "thread pool gauges: " + registry.getGauges().keySet());
  }
}
