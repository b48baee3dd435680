package io.gantry.examples;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.codahale.metrics.MetricRegistry;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link MetricsInTheApplication} against a real upstream: metrics read in code and over HTTP. */
class MetricsInTheApplicationTest {
  private final MetricRegistry registry = new MetricRegistry();
  private DemoUpstream nexus;
  private Server server;
  private int port;

  @BeforeEach
  void start() throws Exception {
    nexus = DemoUpstream.start("nexus");
    server = MetricsInTheApplication.start(0, nexus.url(), registry);
    port = ((ServerConnector) server.getConnectors()[0]).getLocalPort();
  }

  @AfterEach
  void stop() throws Exception {
    server.stop();
    nexus.close();
  }

  @Test
  void requestsAreCountedInTheApplicationsRegistryAndServedUnderAdmin() throws Exception {
    assertEquals(0, MetricsInTheApplication.registryRequests(registry), "known routes exist at zero");
    given().port(port).get("/registry/v2/").then().statusCode(200).body(containsString("/repository/docker-group/v2/"));
    given().port(port).get("/registry/v2/library/alpine/tags/list").then().statusCode(200);

    long deadline = System.nanoTime() + 5_000_000_000L; // counted once Jetty completed each exchange
    while (MetricsInTheApplication.registryRequests(registry) < 2 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertEquals(2, MetricsInTheApplication.registryRequests(registry));
    assertEquals(2, registry.meter("gantry.upstream.nexus.responses.2xx").getCount());

    given().port(port).get("/admin/metrics").then().statusCode(200)
        .body(containsString("\"gantry.route.registry.requests\":{\"count\":2"));
    given().port(port).get("/admin/metrics/prometheus").then().statusCode(200)
        .body(containsString("gantry_route_registry_requests"));
  }
}
