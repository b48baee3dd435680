package io.gantry.examples;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link ProxyInFrontOfApp} as its main starts it, against a real upstream. */
class ProxyInFrontOfAppTest {
  private DemoUpstream nexus;
  private Server server;
  private int port;

  @BeforeEach
  void start() throws Exception {
    nexus = DemoUpstream.start("nexus");
    server = ProxyInFrontOfApp.start(0, nexus.url());
    port = ((ServerConnector) server.getConnectors()[0]).getLocalPort();
  }

  @AfterEach
  void stop() throws Exception {
    server.stop();
    nexus.close();
  }

  @Test
  void theRegistryApiGoesToNexusByMethod() {
    assertEquals("nexus: GET /repository/docker-group/v2/library/alpine/manifests/3.20",
        given().port(port).get("/v2/library/alpine/manifests/3.20").then().statusCode(200).extract().asString());
    assertEquals("nexus: PUT /repository/docker-hosted/v2/library/alpine/manifests/3.20",
        given().port(port).put("/v2/library/alpine/manifests/3.20").then().statusCode(200).extract().asString());
  }

  @Test
  void everythingNoRouteTakesIsTheApplications() {
    assertEquals("the application: GET /", given().port(port).get("/").then().statusCode(200).extract().asString());
    assertEquals("the application: POST /login",
        given().port(port).post("/login").then().statusCode(200).extract().asString());
    // Prefixes match segment by segment: /v2x is not under /v2/.
    assertEquals("the application: GET /v2x/y", given().port(port).get("/v2x/y").then().statusCode(200).extract().asString());
  }

  @Test
  void safetyRefusalsStayTheProxysAndReachNeitherNexusNorTheApplication() throws Exception {
    RawHttp.Reply climbing = RawHttp.send(port, "GET /v2/../../etc/passwd HTTP/1.1\r\nHost: localhost\r\n");
    assertEquals(400, climbing.status(), climbing.text());
    assertFalse(climbing.text().contains("the application") || climbing.text().contains("nexus:"), climbing.text());

    RawHttp.Reply trace = RawHttp.send(port, "TRACE / HTTP/1.1\r\nHost: localhost\r\n");
    assertEquals(405, trace.status(), trace.text());
    assertFalse(trace.text().contains("the application"), trace.text());
  }
}
