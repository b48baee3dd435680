package io.gantry.server.admin;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.codahale.metrics.health.HealthCheck;
import io.gantry.proxy.upstream.Upstream;
import io.gantry.server.accesslog.AccessLog;
import io.gantry.server.testing.Await;
import io.gantry.server.testing.Gantry;
import io.restassured.path.json.JsonPath;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The admin endpoint on its own connector, next to a real proxy on another. */
class AdminServerTest {
  private Gantry gantry;

  @BeforeEach
  void start() throws Exception {
    gantry = new Gantry(AccessLog.Format.JSON);
  }

  @AfterEach
  void stop() throws Exception {
    gantry.close();
  }

  @Test
  void metricsJsonListsRouteAndJvmMetrics() throws Exception {
    given().port(gantry.proxyPort()).get("/v2/bytes/10").then().statusCode(200);
    Await.equal(1L, () -> gantry.metrics.timer("gantry.route.pull.requests").getCount());
    Await.equal(1L, () -> gantry.metrics.timer("gantry.upstream.nexus.requests").getCount());

    JsonPath json = given().port(gantry.adminPort()).get("/metrics")
        .then().statusCode(200).contentType(startsWith("application/json")).extract().jsonPath();
    assertEquals(1, json.getInt("timers.'gantry.route.pull.requests'.count"));
    assertEquals(1, json.getInt("meters.'gantry.route.pull.responses.2xx'.count"));
    assertEquals(10, json.getInt("counters.'gantry.route.pull.bytes-out'.count"));
    assertEquals(1, json.getInt("timers.'gantry.upstream.nexus.requests'.count"));
    assertEquals(10, json.getInt("counters.'gantry.upstream.nexus.bytes-out'.count"));
    assertTrue(json.getMap("gauges").containsKey("jvm.memory.heap.used"));
    assertTrue(json.getMap("gauges").containsKey("jvm.threads.count"));
    assertTrue(json.getMap("gauges").keySet().stream().anyMatch(k -> k.toString().startsWith("jvm.gc.")));
    assertTrue(json.getMap("gauges").containsKey("jvm.classloader.loaded"));
  }

  @Test
  void prometheusTextParsesAndCarriesRouteSamples() throws Exception {
    given().port(gantry.proxyPort()).get("/v2/x").then().statusCode(200);
    given().port(gantry.proxyPort()).get("/nowhere").then().statusCode(404);
    Await.equal(1L, () -> gantry.metrics.timer("gantry.route.pull.requests").getCount());
    Await.equal(1L, () -> gantry.metrics.timer("gantry.upstream.nexus.requests").getCount());
    Await.equal(1L, () -> gantry.metrics.timer("gantry.unrouted.requests").getCount());

    String text = given().port(gantry.adminPort()).get("/metrics/prometheus")
        .then().statusCode(200).contentType(startsWith("text/plain")).extract().asString();
    // Every line is a comment (# HELP / # TYPE) or a sample: name{labels} value.
    Pattern sample = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*\\})? (-?[0-9.eE+-]+|NaN|[+-]Inf)");
    for (String line : text.split("\n")) {
      assertTrue(line.startsWith("# HELP ") || line.startsWith("# TYPE ") || sample.matcher(line).matches(), line);
    }
    // Dropwizard names are sanitised ('.' and '-' become '_'); a Timer becomes a summary of
    // quantiles in seconds plus a _count (no _sum); Meters and Counters become _total counters.
    assertTrue(text.contains("# TYPE gantry_route_pull_requests summary"), text);
    assertEquals(1.0, value(text, "gantry_route_pull_requests_count"));
    double median = value(text, "gantry_route_pull_requests{quantile=\"0.5\"}");
    assertTrue(median > 0 && median < 5, "latency in seconds: " + median);
    assertEquals(0.0, value(text, "gantry_route_idle_requests_count"), "pre-registered route at zero");
    assertTrue(text.contains("# TYPE gantry_route_pull_bytes_out_total counter"), text);
    assertTrue(text.contains("# TYPE gantry_route_pull_responses_2xx_total counter"), text);
    assertEquals(1.0, value(text, "gantry_route_pull_responses_2xx_total"));
    assertEquals(1.0, value(text, "gantry_upstream_nexus_requests_count"));
    assertEquals(0.0, value(text, "gantry_upstream_mirror_requests_count"), "a configured upstream at zero");
    assertEquals(1.0, value(text, "gantry_unrouted_refused_no_route_total"));
    assertEquals(1.0, value(text, "gantry_unrouted_refused_404_total"));
    assertTrue(text.contains("jvm_memory_heap_used"), "JVM gauges exported");
  }

  private static double value(String text, String name) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + " (\\S+)$").matcher(text);
    assertTrue(m.find(), name + " in\n" + text);
    return Double.parseDouble(m.group(1));
  }

  @Test
  void healthcheckIs500AndNamesTheUnreachableUpstream() {
    String body = given().port(gantry.adminPort()).get("/healthcheck")
        .then().statusCode(500).extract().asString();
    JsonPath json = JsonPath.from(body);
    assertEquals(true, json.getBoolean("'upstream.nexus'.healthy"));
    assertEquals(false, json.getBoolean("'upstream.mirror'.healthy"));
    assertTrue(json.getString("'upstream.mirror'.message").matches(
        "upstream 'mirror': 0 of 1 instance up: 127\\.0\\.0\\.1:\\d+ does not accept connections: ConnectException.*"), body);
    assertTrue(json.getString("'upstream.nexus'.message").matches("upstream 'nexus': 1 of 1 instance up: 127\\.0\\.0\\.1:\\d+ up"), body);
  }

  @Test
  void healthcheckIs200WhenEveryUpstreamAnswers() {
    gantry.healthChecks.unregister("upstream.mirror");
    given().port(gantry.adminPort()).get("/healthcheck")
        .then().statusCode(200).body("'upstream.nexus'.healthy", equalTo(true));
  }

  @Test
  void upstreamHealthCheckNeverShowsTheUrlOrItsCredentials() {
    HealthCheck.Result result = new UpstreamHealthCheck("secret-repo",
        Upstream.of("http://127.0.0.1:1/repository/private/"), u -> List.of(), UpstreamHealthCheck.DEFAULT_TIMEOUT).execute();
    assertEquals(false, result.isHealthy());
    assertTrue(result.getMessage().contains("'secret-repo'"), result.getMessage());
    assertTrue(!result.getMessage().contains("/repository/private"), result.getMessage());
    assertNull(result.getError(), "no stack trace in /healthcheck");
  }

  @Test
  void unresolvableUpstreamIsUnhealthyWithinTheTimeout() {
    long start = System.nanoTime();
    HealthCheck.Result result = new UpstreamHealthCheck("ghost", Upstream.of("http://ghost.invalid:8081/"), u -> List.of(),
        UpstreamHealthCheck.DEFAULT_TIMEOUT).execute();
    assertEquals(false, result.isHealthy());
    assertTrue(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start) < 5);
  }

  @Test
  void pingAndThreads() {
    given().port(gantry.adminPort()).get("/ping").then().statusCode(200).body(startsWith("pong"));
    given().port(gantry.adminPort()).get("/threads").then().statusCode(200).body(containsString("main"));
  }

  @Test
  void routesPrintsTheTable() {
    String expected = gantry.routes.toString();
    String body = given().port(gantry.adminPort()).get("/routes")
        .then().statusCode(200).contentType(startsWith("text/plain")).extract().asString();
    assertEquals(expected.endsWith("\n") ? expected : expected + "\n", body);
    assertTrue(body.contains("pull") && body.contains("idle"), body);
  }

  @Test
  void readyIs503UntilTheServerSaysReady() {
    given().port(gantry.adminPort()).get("/ready").then().statusCode(503).body(equalTo("starting\n"));
    gantry.ready.set(true);
    given().port(gantry.adminPort()).get("/ready").then().statusCode(200).body(equalTo("ready\n"));
  }

  @Test
  void adminPathsOnTheProxyConnectorGoToTheProxy() {
    for (String path : List.of("/metrics", "/metrics/prometheus", "/healthcheck", "/ping", "/threads", "/routes", "/ready")) {
      given().port(gantry.proxyPort()).get(path)
          .then().statusCode(404).body(not(containsString("gantry.route"))).body(not(containsString("pong")));
    }
    // And on a route, the backend answers them.
    given().port(gantry.proxyPort()).get("/v2/metrics").then().statusCode(200).header("X-Backend", "backend");
  }

  @Test
  void proxyIsUnreachableFromTheAdminConnector() {
    given().port(gantry.adminPort()).get("/v2/x").then().statusCode(404).header("X-Backend", (String) null);
    given().port(gantry.adminPort()).body("x").put("/v2/x").then().statusCode(not(equalTo(200)));
    assertTrue(gantry.backend.seen().isEmpty(), "backend saw " + gantry.backend.seen());
    assertEquals(0, gantry.metrics.timer("gantry.route.pull.requests").getCount());
  }

  @Test
  void adminConnectorIsOnLoopbackByDefault() {
    assertEquals(AdminServer.DEFAULT_HOST, gantry.admin.connector().getHost());
    assertEquals(AdminServer.CONNECTOR_NAME, gantry.admin.connector().getName());
    assertEquals(List.of("@admin"), gantry.admin.context().getVirtualHosts());
  }

  @Test
  void proxyContextMayNotClaimTheAdminConnector() {
    var context = new org.eclipse.jetty.ee10.servlet.ServletContextHandler("/");
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> AdminServer.onlyOnConnectors(context, List.of("public", "admin")));
    assertTrue(e.getMessage().startsWith("connectorNames: [public, admin]"), e.getMessage());
    AdminServer.onlyOnConnectors(context, List.of("public", "internal"));
    assertEquals(List.of("@public", "@internal"), context.getVirtualHosts().stream().collect(Collectors.toList()));
  }

  @Test
  void adminConnectorIsClaimedEvenWhenTheProxyHandlerNamesNoConnector() throws Exception {
    java.util.concurrent.atomic.AtomicInteger proxied = new java.util.concurrent.atomic.AtomicInteger();
    org.eclipse.jetty.server.Server server = new org.eclipse.jetty.server.Server();
    org.eclipse.jetty.server.ServerConnector open = new org.eclipse.jetty.server.ServerConnector(server, 1, 1);
    server.addConnector(open);
    server.setHandler(new org.eclipse.jetty.server.Handler.Abstract() {
      @Override
      public boolean handle(org.eclipse.jetty.server.Request request, org.eclipse.jetty.server.Response response,
          org.eclipse.jetty.util.Callback callback) {
        proxied.incrementAndGet();
        response.setStatus(299);
        callback.succeeded();
        return true;
      }
    });
    AdminServer admin = AdminServer.builder(new com.codahale.metrics.MetricRegistry(),
        new com.codahale.metrics.health.HealthCheckRegistry()).port(0).jvmMetrics(false).install(server);
    server.start();
    try {
      given().port(admin.connector().getLocalPort()).get("/anything").then().statusCode(404);
      given().port(admin.connector().getLocalPort()).get("/ping").then().statusCode(200);
      given().port(open.getLocalPort()).get("/ping").then().statusCode(299);
      assertEquals(1, proxied.get());
      org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
          () -> AdminServer.builder(new com.codahale.metrics.MetricRegistry(),
              new com.codahale.metrics.health.HealthCheckRegistry()).install(server));
    } finally {
      server.stop();
    }
  }
}
