package io.gantry.examples;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.restassured.response.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link RegistryAtSubPath} as its main starts it, against a real upstream. */
class RegistryAtSubPathTest {
  private DemoUpstream nexus;
  private Server server;
  private int port;

  @BeforeEach
  void start() throws Exception {
    nexus = DemoUpstream.start("nexus");
    server = RegistryAtSubPath.start(0, nexus.url());
    port = ((ServerConnector) server.getConnectors()[0]).getLocalPort();
  }

  @AfterEach
  void stop() throws Exception {
    server.stop();
    nexus.close();
  }

  @Test
  void routesSeeThePathBelowTheMountAndTheUpstreamGetsItUnderItsPrefix() {
    assertEquals("nexus: GET /repository/docker-group/v2/library/alpine/manifests/3.20",
        given().port(port).get("/registry/v2/library/alpine/manifests/3.20").then().statusCode(200).extract().asString());
    assertEquals("nexus: PATCH /repository/docker-hosted/v2/library/alpine/blobs/uploads/1?_state=x",
        given().port(port).patch("/registry/v2/library/alpine/blobs/uploads/1?_state=x").then().statusCode(200).extract().asString());
  }

  @Test
  void locationComesBackUnderTheMountOnThePublicAddress() {
    Response upload = given().port(port).redirects().follow(false).post("/registry/v2/library/alpine/blobs/uploads/");
    upload.then().statusCode(202);
    assertEquals("nexus: POST /repository/docker-hosted/v2/library/alpine/blobs/uploads/", upload.asString());
    assertEquals("http://localhost:" + port + "/registry/v2/library/alpine/blobs/uploads/1", upload.header("Location"));
  }

  @Test
  void theApplicationsServletsAreUntouchedAndTheMountsOtherPathsAreTheProxys404() {
    assertEquals("the application: /api/hello", given().port(port).get("/api/hello").then().statusCode(200).extract().asString());
    // /v2/ outside the mount is not the registry: nothing of the application serves it either.
    given().port(port).get("/v2/library/alpine/manifests/3.20").then().statusCode(404);
    // Under the mount, a path no route takes is answered by gantry, never forwarded.
    given().port(port).get("/registry/other").then().statusCode(404);
  }
}
