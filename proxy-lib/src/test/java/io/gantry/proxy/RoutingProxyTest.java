package io.gantry.proxy;

import static io.gantry.proxy.route.RouteStrategies.host;
import static io.gantry.proxy.route.RouteStrategies.listener;
import static io.gantry.proxy.route.RouteStrategies.method;
import static io.gantry.proxy.route.RouteStrategies.pathPrefix;
import static io.gantry.proxy.route.RouteStrategies.userAgent;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gantry.proxy.route.Route;
import io.gantry.proxy.route.RouteTable;
import io.gantry.proxy.upstream.Upstream;
import io.gantry.proxy.testing.Backend;
import io.gantry.proxy.testing.Proxy;
import io.gantry.proxy.testing.Proxy.Engine;
import io.gantry.proxy.testing.RawHttp;
import io.restassured.response.Response;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.io.Content;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** The servlet end to end: a real client, a real proxy and real backends on ephemeral ports. */
@ParameterizedClass(name = "{0}")
@EnumSource(Engine.class)
class RoutingProxyTest {
  @Parameter
  Engine engine;

  private Backend group;
  private Backend hosted;
  private Backend ui;
  private Proxy proxy;
  private final List<String> events = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws Exception {
    group = new Backend("group");
    hosted = new Backend("hosted");
    ui = new Backend("ui");
    Upstream groupUp = Upstream.of(group.url("/repository/docker-group/"));
    Upstream hostedUp = Upstream.of(hosted.url("/repository/docker-hosted/"));
    Upstream uiUp = Upstream.of(ui.url("/"));
    RouteTable routes = RouteTable.builder()
        .route(Route.of("pull", host("registry.example.com").and(method("GET", "HEAD")), groupUp))
        .route(Route.of("push", host("registry.example.com"), hostedUp))
        .route(Route.of("nexus-registry", host("nexus.example.com").and(pathPrefix("/v2/", "/v1/").or(userAgent("docker"))), groupUp))
        .route(Route.of("nexus-ui", host("nexus.example.com"), uiUp))
        .route(Route.builder("slashes").when(host("npm.example.com")).to(uiUp).allowEncodedSlashes(true).build())
        .route(Route.of("plain-port", listener("plain").and(host("*.ports.example.com")), hostedUp))
        .build();
    ProxyObserver listener = new ProxyObserver() {
      @Override
      public void onRouted(ProxyExchange e) {
        events.add("routed " + e.routeName() + " " + e.requestId());
      }

      @Override
      public void onRefused(ProxyExchange e, int status, String reason) {
        events.add("refused " + status + " " + reason);
      }

      @Override
      public void onUpstreamFailure(ProxyExchange e, int status, Throwable failure) {
        events.add("failure " + e.routeName() + " " + status);
      }

      @Override
      public void onCompleted(ProxyExchange e, int status) {
        events.add("completed " + e.routeName() + " " + status + " in=" + e.bytesIn() + " out=" + e.bytesOut());
      }
    };
    proxy = new Proxy(engine, b -> b.routes(routes).observer(listener));
  }

  @AfterEach
  void stop() throws Exception {
    proxy.close();
    group.close();
    hosted.close();
    ui.close();
  }

  private Response request(String method, String host, String path) {
    return given().port(proxy.port()).header("Host", host).urlEncodingEnabled(false)
        .when().request(method, path);
  }

  @Test
  void getGoesToTheGroupUnderItsPrefix() throws Exception {
    request("GET", "registry.example.com", "/v2/library/alpine/manifests/latest")
        .then().statusCode(200).header("X-Backend", "group");
    assertEquals("/repository/docker-group/v2/library/alpine/manifests/latest", group.next().rawTarget());
  }

  @Test
  void headIsItsOwnMethodAndStillReadsFromTheGroup() throws Exception {
    request("HEAD", "registry.example.com", "/v2/").then().statusCode(200).header("X-Backend", "group");
    assertEquals("HEAD", group.next().method());
  }

  @Test
  void otherMethodsGoToHosted() throws Exception {
    for (String m : List.of("POST", "PUT", "PATCH", "DELETE")) {
      request(m, "registry.example.com", "/v2/x/blobs/uploads/").then().statusCode(200).header("X-Backend", "hosted");
      assertEquals(m, hosted.next().method());
    }
    assertTrue(group.all().isEmpty(), "no write may reach the group");
  }

  @Test
  void hostMatchingIgnoresCaseTrailingDotAndPort() throws Exception {
    request("GET", "REGISTRY.Example.COM.:8443", "/v2/").then().statusCode(200).header("X-Backend", "group");
  }

  @Test
  void pathPrefixAndUserAgentSplitRegistryFromUi() throws Exception {
    request("GET", "nexus.example.com", "/v2/").then().header("X-Backend", "group");
    request("GET", "nexus.example.com", "/v2").then().header("X-Backend", "group");
    request("GET", "nexus.example.com", "/v2api/x").then().header("X-Backend", "ui");
    request("GET", "nexus.example.com", "/static/v2/x").then().header("X-Backend", "ui");
    given().port(proxy.port()).header("Host", "nexus.example.com").header("User-Agent", "docker/24.0.7 go/go1.20")
        .get("/service/rest/v1/status").then().header("X-Backend", "group");
  }

  @Test
  void wildcardHostOnANamedListener() throws Exception {
    request("GET", "a.ports.example.com", "/v2/").then().statusCode(200).header("X-Backend", "hosted");
    request("GET", "ports.example.com", "/v2/").then().statusCode(404);
    request("GET", "a.b.ports.example.com", "/v2/").then().statusCode(404);
  }

  @Test
  void noRouteIs404WithAShortPlainBody() throws Exception {
    Response r = request("GET", "unknown.example.com", "/anything");
    r.then().statusCode(404).contentType(containsString("text/plain")).body(containsString("no route"))
        .body(not(containsString("127.0.0.1")));
    assertTrue(r.asString().length() < 100);
    assertTrue(group.all().isEmpty() && hosted.all().isEmpty() && ui.all().isEmpty());
  }

  @Test
  void noRouteOnRegistryPathIsRegistryJson() {
    request("GET", "unknown.example.com", "/v2/").then().statusCode(404)
        .header("Docker-Distribution-Api-Version", "registry/2.0")
        .body("errors[0].code", equalTo("UNSUPPORTED"));
  }

  @Test
  void queryStringPassesThroughUnchanged() throws Exception {
    request("GET", "registry.example.com", "/v2/_catalog?n=1&last=a%2Fb&x=%41+y").then().statusCode(200);
    assertEquals("/repository/docker-group/v2/_catalog?n=1&last=a%2Fb&x=%41+y", group.next().rawTarget());
  }

  @Test
  void clientHostIsPreserved() throws Exception {
    request("GET", "registry.example.com:5001", "/v2/").then().statusCode(200);
    assertEquals("registry.example.com:5001", group.next().header("Host"));
  }

  @Test
  void traversalIsRefusedWithoutContactingABackend() throws Exception {
    for (String target : List.of("/v2/../../service/rest/v1/status", "/v2/%2e%2e/%2e%2e/x", "/v2/..;/..;/x",
        "/v2/%252e%252e/x", "/v2/..%5c..%5cx", "/v2/a%2fb", "/..", "/v2/x\\..\\y")) {
      RawHttp.Reply reply = RawHttp.get(proxy.port(), target, "registry.example.com");
      assertEquals(400, reply.status(), target);
      assertFalse(reply.body().contains("127.0.0.1"), target);
    }
    assertTrue(group.all().isEmpty() && hosted.all().isEmpty(), "no backend may see a refused path");
  }

  @Test
  void dotSegmentsInsideTheTreeAreResolvedBeforeForwarding() throws Exception {
    assertEquals(200, RawHttp.get(proxy.port(), "/v2/a/./b/../c/%2e/d", "registry.example.com").status());
    assertEquals("/repository/docker-group/v2/a/c/d", group.next().rawTarget());
  }

  @Test
  void encodedSlashesOnlyWhereTheRouteAllowsThem() throws Exception {
    assertEquals(200, RawHttp.get(proxy.port(), "/@scope%2fpkg", "npm.example.com").status());
    assertEquals("/@scope%2Fpkg", ui.next().rawTarget());
    assertEquals(400, RawHttp.get(proxy.port(), "/v2/a%2Fb/manifests/x", "registry.example.com").status());
  }

  @Test
  void listenerSeesRoutingAndCompletionWithTheRequestId() throws Exception {
    given().port(proxy.port()).header("Host", "registry.example.com").header("X-Request-Id", "abc-123")
        .get("/v2/").then().statusCode(200);
    assertEquals("abc-123", group.next().header("X-Request-Id"));
    awaitEvents(2);
    assertEquals("routed pull abc-123", events.get(0));
    assertTrue(events.get(1).startsWith("completed pull 200 in=0 out="), events.toString());
  }

  @Test
  void requestIdIsGeneratedWhenMissingOrInsane() throws Exception {
    request("GET", "registry.example.com", "/v2/").then().statusCode(200);
    String generated = group.next().header("X-Request-Id");
    assertNotNull(generated);
    assertEquals(32, generated.length());
    given().port(proxy.port()).header("Host", "registry.example.com").header("X-Request-Id", "bad id\"<script>")
        .get("/v2/").then().statusCode(200);
    String replaced = group.next().header("X-Request-Id");
    assertNotEquals("bad id\"<script>", replaced);
    assertEquals(32, replaced.length());
  }

  @Test
  void refusalsAreReportedToTheListener() throws Exception {
    assertEquals(400, RawHttp.get(proxy.port(), "/v2/%252e%252e/x", "registry.example.com").status());
    awaitEvents(2);
    assertTrue(events.get(0).startsWith("refused 400"), events.toString());
    assertEquals("completed - 400 in=0 out=0", events.get(1));
  }

  @Test
  void hopByHopHeadersStopAtTheProxy() throws Exception {
    RawHttp.Reply reply = RawHttp.send(proxy.port(), "GET /v2/ HTTP/1.1\r\nHost: registry.example.com\r\n"
        + "Connection: close, X-Secret-Hop\r\nX-Secret-Hop: 1\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\n"
        + "Proxy-Authorization: Basic Zm9vOmJhcg==\r\nX-Kept: yes\r\n\r\n");
    assertEquals(200, reply.status(), reply.toString());
    Backend.Seen seen = group.next();
    assertNull(seen.header("X-Secret-Hop"));
    assertNull(seen.header("Keep-Alive"));
    assertNull(seen.header("TE"));
    assertNull(seen.header("Proxy-Authorization"));
    assertEquals("yes", seen.header("X-Kept"));
  }

  @Test
  void hopByHopResponseHeadersStopAtTheProxyAndServerDateAreNotDuplicated() {
    group.respondWith((request, response, seen, callback) -> {
      response.getHeaders().put("Connection", "Keep-Alive, X-Internal"); // the usual token first, then one naming a header
      response.getHeaders().put("X-Internal", "secret");
      response.getHeaders().put("Keep-Alive", "timeout=3");
      response.getHeaders().put("Server", "Nexus/3.70.1 (OSS)");
      response.getHeaders().put("X-Fine", "ok");
      response.setStatus(200);
      callback.succeeded();
    });
    Response r = request("GET", "registry.example.com", "/v2/");
    r.then().statusCode(200).header("X-Internal", nullValue()).header("Keep-Alive", nullValue())
        .header("Server", nullValue()).header("X-Fine", "ok");
    assertEquals(1, r.headers().getList("Date").size());
  }

  @Test
  void authorizationReachesTheBackendUntouched() throws Exception {
    given().port(proxy.port()).header("Host", "registry.example.com").header("Authorization", "Bearer tok")
        .get("/v2/").then().statusCode(200);
    assertEquals("Bearer tok", group.next().header("Authorization"));
  }

  @Test
  void backendStatusAndBodyPassThrough() {
    group.respondWith((request, response, seen, callback) -> {
      response.setStatus(404);
      response.getHeaders().put("Content-Type", "application/json");
      Content.Sink.write(response, true, "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\"}]}", callback);
    });
    request("GET", "registry.example.com", "/v2/x/manifests/nope").then().statusCode(404)
        .body("errors[0].code", equalTo("MANIFEST_UNKNOWN"));
  }

  @Test
  void traceAndConnectAreRefusedWithoutContactingABackend() throws Exception {
    RawHttp.Reply trace = RawHttp.send(proxy.port(), "TRACE /v2/ HTTP/1.1\r\nHost: registry.example.com\r\n"
        + "Authorization: Bearer secret\r\nConnection: close\r\n\r\n");
    assertEquals(405, trace.status());
    assertTrue(trace.header("Allow").contains("GET"));
    assertFalse(trace.body().contains("secret"));
    assertEquals(405, RawHttp.send(proxy.port(), "TRACK /v2/ HTTP/1.1\r\nHost: registry.example.com\r\nConnection: close\r\n\r\n").status());
    assertTrue(group.all().isEmpty() && hosted.all().isEmpty());
  }

  @Test
  void aSwappedRouteTableTakesEffectForTheNextRequest() throws Exception {
    request("GET", "registry.example.com", "/v2/").then().header("X-Backend", "group");
    proxy.setRoutes(RouteTable.builder()
        .route(Route.of("all-to-ui", host("registry.example.com"), Upstream.of(ui.url("/"))))
        .build());
    request("GET", "registry.example.com", "/v2/").then().statusCode(200).header("X-Backend", "ui");
    assertEquals("all-to-ui", proxy.routes().routes().get(0).name());
  }

  @Test
  void clientsNoRouteNeedsAfterASwapStopOnceTheirRequestsEnd() throws Exception {
    assertEquals(1, proxy.upstreamClients());
    // A new connect timeout needs a client of its own; the old one is no route's any more.
    proxy.setRoutes(groupOnly(Duration.ofSeconds(7)));
    int kept = engine == Engine.HANDLER ? 1 : 2; // the servlet keeps Jetty's own client, made at init
    awaitClients(kept);

    CountDownLatch release = new CountDownLatch(1);
    group.respondWith((request, response, seen, callback) -> {
      release.await(20, TimeUnit.SECONDS);
      Content.Sink.write(response, true, "late", callback);
    });
    CompletableFuture<Integer> inFlight = CompletableFuture.supplyAsync(
        () -> request("GET", "registry.example.com", "/v2/slow").statusCode());
    for (int i = 0; i < 100 && group.all().isEmpty(); i++) {
      Thread.sleep(50);
    }
    proxy.setRoutes(groupOnly(Duration.ofSeconds(8)));
    assertEquals(kept + 1, proxy.upstreamClients(), "the new table's client starts with the swap");
    Thread.sleep(3000); // three checks: the old client is busy with the request in flight
    assertEquals(kept + 1, proxy.upstreamClients(), "a client stays while a request runs on it");

    release.countDown();
    assertEquals(200, inFlight.get(20, TimeUnit.SECONDS), "the request in flight ends normally");
    awaitClients(kept);
    group.respondWith(Backend.ok("group"));
    request("GET", "registry.example.com", "/v2/").then().statusCode(200).header("X-Backend", "group");
  }

  private RouteTable groupOnly(Duration connectTimeout) {
    return RouteTable.builder()
        .route(Route.of("all", host("registry.example.com"),
            Upstream.builder(group.url("/repository/docker-group/")).connectTimeout(connectTimeout).build()))
        .build();
  }

  private void awaitClients(int n) throws InterruptedException {
    for (int i = 0; i < 200 && proxy.upstreamClients() != n; i++) {
      Thread.sleep(50);
    }
    assertEquals(n, proxy.upstreamClients(), "upstream clients running");
  }

  private void awaitEvents(int n) throws InterruptedException {
    for (int i = 0; i < 100 && events.size() < n; i++) {
      Thread.sleep(50);
    }
    assertTrue(events.size() >= n, events.toString());
  }
}
