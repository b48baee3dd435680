package io.gantry.examples;

import static io.gantry.proxy.route.RouteStrategies.host;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.gantry.proxy.route.RequestView;
import io.gantry.proxy.route.RouteStrategy;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ExamplesTest {
  @Test
  void embeddedFrontRoutesPullsAndPushesToTheirRepositories() throws Exception {
    HttpServer nexus = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    nexus.createContext("/", exchange -> {
      byte[] body = (exchange.getRequestMethod() + " " + exchange.getRequestURI()).getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    nexus.start();
    Server server = EmbeddedRegistryFront.start(0, "http://127.0.0.1:" + nexus.getAddress().getPort());
    try {
      int port = ((ServerConnector) server.getConnectors()[0]).getLocalPort();
      assertEquals("GET /repository/docker-group/v2/x/manifests/1",
          given().port(port).get("/v2/x/manifests/1").then().statusCode(200).extract().asString());
      assertEquals("PUT /repository/docker-hosted/v2/x/manifests/1",
          given().port(port).put("/v2/x/manifests/1").then().statusCode(200).extract().asString());
      assertEquals("GET /service/rest/v1/status",
          given().port(port).header("Host", "nexus.example.com").get("/service/rest/v1/status").then().extract().asString());
      given().port(port).header("Host", "other.test").get("/service/rest/v1/status").then().statusCode(404);
    } finally {
      server.stop();
      nexus.stop(0);
    }
  }

  @ParameterizedTest
  @CsvSource({
      "docker/24.0.7 go/go1.20.10 git-commit/311b9ff kernel/6.1 os/linux arch/amd64, true",
      "containerd/1.7.2, true",
      "skopeo/1.9.3, true",
      "Buildah/1.28 podman/4.3.1, true",
      "go-containerregistry/v0.16.1, true",
      "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0, false",
      "curl/7.88.1, false",
  })
  void registryClientsAreRecognisedByUserAgent(String agent, boolean registry) {
    RequestView view = RequestView.builder().header("User-Agent", agent).build();
    assertEquals(registry, new RegistryClientStrategy().matches(view));
  }

  @Test
  void aUserStrategyComposesAndPrintsAsARule() {
    RouteStrategy rule = host("nexus.example.com").and(new RegistryClientStrategy());
    assertEquals("host(nexus.example.com) && registryClient()", rule.toString());
    assertTrue(rule.matches(RequestView.builder().host("nexus.example.com").header("User-Agent", "docker/24").build()));
    assertFalse(rule.matches(RequestView.builder().host("nexus.example.com").header("User-Agent", "curl/8").build()));
    assertFalse(new RegistryClientStrategy().matches(RequestView.builder().build()));
  }
}
