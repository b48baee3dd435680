package io.gantry.proxy;

import static io.gantry.proxy.route.RouteStrategies.host;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.gantry.proxy.route.Route;
import io.gantry.proxy.route.RouteTable;
import io.gantry.proxy.upstream.Upstream;
import io.gantry.proxy.testing.Backend;
import io.gantry.proxy.testing.Proxy;
import io.gantry.proxy.testing.Proxy.Engine;
import io.restassured.response.Response;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** Headers that carry URLs come back naming the public host, never the backend or its prefix. */
@ParameterizedClass(name = "{0}")
@EnumSource(Engine.class)
class ResponseRewritingTest {
  @Parameter
  Engine engine;

  private Backend backend;
  private Proxy proxy;
  private String backendBase;

  @BeforeEach
  void start() throws Exception {
    backend = new Backend("registry");
    backendBase = backend.url("/repository/docker-hosted");
    RouteTable routes = RouteTable.builder()
        .route(Route.of("hosted", host("registry.example.com"), Upstream.of(backendBase + "/")))
        .build();
    proxy = new Proxy(engine, b -> b.routes(routes));
  }

  @AfterEach
  void stop() throws Exception {
    proxy.close();
    backend.close();
  }

  private Response get() {
    return given().port(proxy.port()).header("Host", "registry.example.com:5001").redirects().follow(false)
        .get("/v2/x/blobs/uploads/");
  }

  @Test
  void everyUrlCarryingHeaderIsRewritten() {
    String publicBase = "http://registry.example.com:5001";
    backend.respondWith((request, response, seen, callback) -> {
      response.setStatus(202);
      response.getHeaders().add("Location", backendBase + "/v2/x/blobs/uploads/u1?_state=abc");
      response.getHeaders().add("Content-Location", "/repository/docker-hosted/v2/x/manifests/latest");
      response.getHeaders().add("Link", "<" + backendBase + "/v2/_catalog?last=a&n=1>; rel=\"next\"");
      response.getHeaders().add("Link", "</repository/docker-hosted/v2/_catalog?last=b&n=1>; rel=\"next\", <https://docs.example.com/x>; rel=help");
      response.getHeaders().add("WWW-Authenticate",
          "Bearer realm=\"" + backendBase + "/v2/token\",service=\"registry\",scope=\"repository:x:push,pull\"");
      response.getHeaders().add("Refresh", "0; url=" + backendBase + "/v2/");
      callback.succeeded();
    });
    Response r = get();
    r.then().statusCode(202);
    assertEquals(publicBase + "/v2/x/blobs/uploads/u1?_state=abc", r.header("Location"));
    assertEquals("/v2/x/manifests/latest", r.header("Content-Location"));
    List<String> links = r.headers().getValues("Link");
    assertEquals(List.of("<" + publicBase + "/v2/_catalog?last=a&n=1>; rel=\"next\"",
        "</v2/_catalog?last=b&n=1>; rel=\"next\", <https://docs.example.com/x>; rel=help"), links);
    assertEquals("Bearer realm=\"" + publicBase + "/v2/token\",service=\"registry\",scope=\"repository:x:push,pull\"",
        r.header("WWW-Authenticate"));
    assertEquals("0; url=" + publicBase + "/v2/", r.header("Refresh"));
    String all = r.headers().toString();
    assertFalse(all.contains("127.0.0.1"), all);
    assertFalse(all.contains(String.valueOf(backend.port())), all);
    assertFalse(all.contains("/repository/"), all);
  }

  @Test
  void urlsTheBackendBuiltFromThePreservedHostLoseThePrefix() {
    backend.respondWith((request, response, seen, callback) -> {
      response.setStatus(201);
      response.getHeaders().add("Location",
          "https://registry.example.com:5001/repository/docker-hosted/v2/x/blobs/sha256:abc");
      callback.succeeded();
    });
    assertEquals("http://registry.example.com:5001/v2/x/blobs/sha256:abc", get().header("Location"));
  }

  @Test
  void foreignUrlsAreLeftAlone() {
    backend.respondWith((request, response, seen, callback) -> {
      response.setStatus(307);
      response.getHeaders().add("Location", "https://s3.example.com/bucket/blob?sig=1");
      callback.succeeded();
    });
    assertEquals("https://s3.example.com/bucket/blob?sig=1", get().header("Location"));
  }
}
