package io.gantry.proxy.metrics;

import static io.gantry.proxy.route.RouteStrategies.pathPrefix;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.health.HealthCheck;
import com.codahale.metrics.health.HealthCheckRegistry;
import io.gantry.proxy.RoutingProxyServlet;
import io.gantry.proxy.route.Route;
import io.gantry.proxy.route.RouteTable;
import io.gantry.proxy.testing.Await;
import io.gantry.proxy.testing.Backend;
import io.gantry.proxy.upstream.Upstream;
import io.restassured.path.json.JsonPath;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The one-line mount of the admin servlets and Prometheus text, on a real server next to a real proxy. */
class MetricsServletsTest {
  private Backend backend;
  private Server server;
  private ServerConnector connector;
  private final MetricRegistry registry = new MetricRegistry();
  private final HealthCheckRegistry health = new HealthCheckRegistry();

  @BeforeEach
  void startBackend() throws Exception {
    backend = new Backend("backend");
  }

  @AfterEach
  void stop() throws Exception {
    if (server != null) {
      server.stop();
    }
    backend.close();
  }

  private void start(ServletContextHandler context) throws Exception {
    server = new Server();
    connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    server.addConnector(connector);
    server.setHandler(context);
    server.start();
  }

  private int port() {
    return connector.getLocalPort();
  }

  @Test
  void mountedUnderAPathNextToTheProxyServesJsonAndPrometheusText() throws Exception {
    Upstream nexus = Upstream.of(backend.url("/"));
    RouteTable routes = RouteTable.builder().route(Route.of("pull", pathPrefix("/v2/"), nexus)).build();
    ProxyMetrics metrics = ProxyMetrics.builder(registry).routes(routes).upstreamName("nexus", nexus).build();
    RoutingProxyServlet proxy = RoutingProxyServlet.builder().routes(routes).observer(metrics).build();
    ServletContextHandler context = new ServletContextHandler("/");
    context.addServlet(proxy.toHolder(), "/*");
    MetricsServlets.mount(context, "/admin", registry, health);
    health.register("always", new HealthCheck() {
      @Override
      protected Result check() {
        return Result.healthy("fine");
      }
    });
    start(context);

    given().port(port()).get("/v2/bytes").then().statusCode(200);
    Await.until(() -> registry.timer("gantry.route.pull.requests").getCount() == 1);

    JsonPath json = given().port(port()).get("/admin/metrics")
        .then().statusCode(200).contentType(startsWith("application/json")).extract().jsonPath();
    assertEquals(1, json.getInt("timers.'gantry.route.pull.requests'.count"));
    assertEquals(1, json.getInt("timers.'gantry.upstream.nexus.requests'.count"));
    assertEquals(1, json.getInt("meters.'gantry.route.pull.responses.2xx'.count"));

    String text = given().port(port()).get("/admin/metrics/prometheus")
        .then().statusCode(200).contentType(startsWith("text/plain")).extract().asString();
    Pattern sample = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*\\})? (-?[0-9.eE+-]+|NaN|[+-]Inf)");
    for (String line : text.split("\n")) {
      assertTrue(line.startsWith("# HELP ") || line.startsWith("# TYPE ") || sample.matcher(line).matches(), line);
    }
    assertEquals(1.0, value(text, "gantry_route_pull_requests_count"));
    assertEquals(1.0, value(text, "gantry_upstream_nexus_requests_count"));
    assertEquals(1.0, value(text, "gantry_upstream_nexus_responses_2xx_total"));

    given().port(port()).get("/admin/ping").then().statusCode(200).body(startsWith("pong"));
    given().port(port()).get("/admin/healthcheck").then().statusCode(200);
    // Everything else is still the proxy's.
    given().port(port()).get("/metrics").then().statusCode(404);
    assertEquals(1, backend.all().size(), "the admin paths never reached the backend");
  }

  @Test
  void mountedAtTheRootOfItsOwnContext() throws Exception {
    registry.counter("app.things").inc(3);
    ServletContextHandler context = new ServletContextHandler("/");
    MetricsServlets.mount(context, registry, null);
    start(context);

    given().port(port()).get("/metrics").then().statusCode(200).extract().jsonPath();
    assertEquals(3, given().port(port()).get("/metrics").jsonPath().getInt("counters.'app.things'.count"));
    String text = given().port(port()).get("/metrics/prometheus").then().statusCode(200).extract().asString();
    assertEquals(3.0, value(text, "app_things_total"));
    given().port(port()).get("/threads").then().statusCode(200);
    given().port(port()).get("/cpu-profile").then().statusCode(404);
  }

  @Test
  void aContextServesOnePairOfRegistriesAndAPathIsChecked() {
    ServletContextHandler context = new ServletContextHandler("/");
    MetricsServlets.mount(context, "/a", registry, health);
    MetricsServlets.mount(context, "/b", registry, health); // the same registries twice is fine
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> MetricsServlets.mount(context, "/c", new MetricRegistry(), health));
    assertTrue(e.getMessage().contains("already serves another registry"), e.getMessage());
    for (String path : new String[] {"admin", "/admin/", "/a/*", "//a"}) {
      assertThrows(IllegalArgumentException.class, () -> MetricsServlets.mount(new ServletContextHandler("/"), path,
          registry, health), path);
    }
  }

  private static double value(String text, String name) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + " (\\S+)$").matcher(text);
    assertTrue(m.find(), name + " in\n" + text);
    return Double.parseDouble(m.group(1));
  }
}
