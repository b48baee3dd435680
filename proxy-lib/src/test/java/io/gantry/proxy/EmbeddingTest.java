package io.gantry.proxy;

import static io.gantry.proxy.route.RouteStrategies.any;
import static io.gantry.proxy.route.RouteStrategies.pathPrefix;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gantry.proxy.header.HeaderRules;
import io.gantry.proxy.route.Route;
import io.gantry.proxy.route.RouteTable;
import io.gantry.proxy.testing.Await;
import io.gantry.proxy.testing.Backend;
import io.gantry.proxy.testing.RawHttp;
import io.gantry.proxy.upstream.Upstream;
import io.gantry.proxy.validation.InvalidSettingException;
import io.restassured.response.Response;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The library as an application embeds it: the application's own Jetty server with Jetty's
 * defaults (no URI compliance set, default error handler), its own handlers and servlets next to
 * the proxy.
 */
class EmbeddingTest {
  private Backend backend;
  private Server server;
  private ServerConnector connector;
  private final List<String> events = new CopyOnWriteArrayList<>();

  @BeforeEach
  void startBackend() throws Exception {
    backend = new Backend((request, response, seen, callback) -> {
      response.setStatus(201);
      response.getHeaders().put("X-Backend", "nexus");
      response.getHeaders().put("X-Powered-By", "Nexus");
      response.getHeaders().put("Location", "http://127.0.0.1:" + request.getConnectionMetaData().getLocalSocketAddress()
          .toString().replaceAll(".*:", "") + "/repository/docker-hosted/v2/x/blobs/uploads/1");
      response.getHeaders().put("X-Seen-Team", String.valueOf(request.getHeaders().get("X-Team")));
      callback.succeeded();
    });
  }

  @AfterEach
  void stop() throws Exception {
    if (server != null) {
      server.stop();
    }
    backend.close();
  }

  private RouteTable routes(Route... routes) {
    RouteTable.Builder b = RouteTable.builder();
    for (Route r : routes) {
      b.route(r);
    }
    return b.build();
  }

  private Upstream hosted() {
    return Upstream.of(backend.url("/repository/docker-hosted/"));
  }

  private ProxyObserver recorder(String name) {
    return new ProxyObserver() {
      @Override
      public void onRefused(ProxyExchange exchange, int status, String reason) {
        events.add(name + " refused " + status);
      }

      @Override
      public void onCompleted(ProxyExchange exchange, int status) {
        events.add(name + " completed " + exchange.routeName() + " " + status);
      }
    };
  }

  /** A server as an application makes it: Jetty's defaults everywhere. */
  private void start(Handler handler) throws Exception {
    server = new Server();
    connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    server.addConnector(connector);
    server.setHandler(handler);
    server.start();
  }

  private int port() {
    return connector.getLocalPort();
  }

  /** An application handler answering everything the proxy leaves to it. */
  private static Handler application() {
    return new Handler.Abstract() {
      @Override
      public boolean handle(org.eclipse.jetty.server.Request request, org.eclipse.jetty.server.Response response,
          Callback callback) {
        response.setStatus(200);
        response.getHeaders().put("X-App", "yes");
        callback.succeeded();
        return true;
      }
    };
  }

  @Test
  void handlerInFrontOfTheApplicationPassesOnlyWhatNoRouteMatches() throws Exception {
    RoutingProxyHandler proxy = RoutingProxyHandler.builder()
        .routes(routes(Route.of("registry", pathPrefix("/v2/"), hosted())))
        .passUnmatched(true).observer(recorder("a")).build();
    start(new Handler.Sequence(proxy, application()));

    given().port(port()).get("/v2/x").then().statusCode(201).header("X-Backend", "nexus");
    assertEquals("/repository/docker-hosted/v2/x", backend.next().rawTarget());
    given().port(port()).get("/index.html").then().statusCode(200).header("X-App", "yes");
    // Safety refusals stay the proxy's, whatever comes after it.
    assertEquals(400, RawHttp.get(port(), "/v2/../../etc/passwd", "localhost").status());
    assertEquals(List.of(), backend.all().stream().filter(s -> s.rawTarget().contains("etc")).toList());
    Await.until(() -> events.contains("a refused 400"));
    assertTrue(events.stream().noneMatch(e -> e.contains("404")), events.toString());
  }

  @Test
  void withoutPassUnmatchedTheHandlerAnswers404() throws Exception {
    RoutingProxyHandler proxy = RoutingProxyHandler.builder()
        .routes(routes(Route.of("registry", pathPrefix("/v2/"), hosted()))).build();
    start(new Handler.Sequence(proxy, application()));
    given().port(port()).get("/index.html").then().statusCode(404).header("X-App", (String) null);
  }

  @Test
  void servletAtASubPathRoutesWithinItsMountAndPutsTheMountBackIntoLocation() throws Exception {
    RoutingProxyServlet proxy = RoutingProxyServlet.builder()
        .routes(routes(Route.of("registry", pathPrefix("/v2/"), hosted()))).build();
    ServletContextHandler context = new ServletContextHandler("/app");
    context.addServlet(proxy.toHolder(), "/registry/*");
    context.addServlet(new ServletHolder(new HttpServlet() {
      @Override
      protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        resp.setHeader("X-App", "yes");
        resp.getWriter().write("app");
      }
    }), "/*");
    start(context);

    Response r = given().port(port()).redirects().follow(false).post("/app/registry/v2/x/blobs/uploads/");
    r.then().statusCode(201).header("X-Backend", "nexus");
    assertEquals("/repository/docker-hosted/v2/x/blobs/uploads/", backend.next().rawTarget());
    assertEquals("http://localhost:" + port() + "/app/registry/v2/x/blobs/uploads/1", r.header("Location"));
    given().port(port()).get("/app/other").then().statusCode(200).header("X-App", "yes");
    // The mount itself is the root of the routes: nothing routes "/", so it is the proxy's 404.
    given().port(port()).get("/app/registry").then().statusCode(404);
  }

  @Test
  void servletCanKeepItsMountPath() throws Exception {
    RoutingProxyServlet proxy = RoutingProxyServlet.builder()
        .routes(routes(Route.of("all", pathPrefix("/registry/"), hosted()))).keepMountPath(true).build();
    ServletContextHandler context = new ServletContextHandler("/");
    context.addServlet(proxy.toHolder(), "/registry/*");
    start(context);
    given().port(port()).get("/registry/v2/").then().statusCode(201);
    assertEquals("/repository/docker-hosted/registry/v2/", backend.next().rawTarget());
  }

  @Test
  void encodedSlashesReachARouteThatAllowsThemOnAServerWithJettysDefaults() throws Exception {
    RoutingProxyHandler proxy = RoutingProxyHandler.builder().routes(routes(
        Route.builder("npm").when(any()).to(hosted()).allowEncodedSlashes(true).build())).build();
    start(proxy);
    assertEquals(201, RawHttp.get(port(), "/@scope%2Fpackage", "localhost").status());
    assertEquals("/repository/docker-hosted/@scope%2Fpackage", backend.next().rawTarget());
  }

  @Test
  void encodedSlashesReachARouteThatAllowsThemThroughTheServletToo() throws Exception {
    RoutingProxyServlet proxy = RoutingProxyServlet.builder().routes(routes(
        Route.builder("npm").when(any()).to(hosted()).allowEncodedSlashes(true).build())).build();
    ServletContextHandler context = new ServletContextHandler("/");
    context.addServlet(proxy.toHolder(), "/*");
    start(context);
    assertEquals(201, RawHttp.get(port(), "/@scope%2Fpackage", "localhost").status());
    assertEquals("/repository/docker-hosted/@scope%2Fpackage", backend.next().rawTarget());
    // Ambiguous paths reach gantry's judge, which answers its own clear 400.
    RawHttp.Reply climb = RawHttp.get(port(), "/a/%2e%2e/%2e%2e/etc", "localhost");
    assertEquals(400, climb.status());
    assertTrue(climb.body().startsWith("400 Bad Request: "), climb.body());
  }

  @Test
  void leftAloneTheServerRefusesToStartWhenARouteNeedsWhatItsConnectorRefuses() {
    RoutingProxyHandler proxy = RoutingProxyHandler.builder().configureServer(false).routes(routes(
        Route.builder("npm").when(any()).to(hosted()).allowEncodedSlashes(true).build())).build();
    Exception e = assertThrows(Exception.class, () -> start(proxy));
    assertTrue(e.getMessage().contains("route 'npm' allows encoded slashes"), e.getMessage());
  }

  @Test
  void jettysOwnRefusalsGetGantrysBodyAndAreCounted() throws Exception {
    RoutingProxyHandler proxy = RoutingProxyHandler.builder()
        .routes(routes(Route.of("registry", any(), hosted()))).observer(recorder("a")).build();
    start(proxy);
    RawHttp.Reply reply = RawHttp.send(port(), "GET /index.html HTTP/1.1\r\nHost: localhost\r\nX-Big: "
        + "x".repeat(20_000) + "\r\nConnection: close\r\n\r\n");
    assertEquals(431, reply.status());
    assertTrue(reply.header("content-type").startsWith("text/plain"), reply.toString());
    assertTrue(reply.body().startsWith("431 "), reply.body());
    Await.until(() -> events.contains("a refused 431"));
  }

  @Test
  void observersComposeAndHeaderRulesApplyPerRoute() throws Exception {
    Route route = Route.builder("registry").when(any()).to(hosted())
        .requestHeaders(HeaderRules.forRequests().set("X-Team", "a").remove("Cookie").build())
        .responseHeaders(HeaderRules.forResponses().remove("X-Powered-By").add("X-Frame-Options", "DENY").build())
        .build();
    RoutingProxyHandler proxy = RoutingProxyHandler.builder().routes(routes(route))
        .observer(recorder("metrics")).observer(recorder("audit")).build();
    start(proxy);

    Response r = given().port(port()).header("X-Team", "forged").header("Cookie", "s=1").get("/v2/");
    r.then().statusCode(201).header("X-Frame-Options", "DENY").header("X-Seen-Team", "a");
    assertNull(r.header("X-Powered-By"));
    Backend.Seen seen = backend.next();
    assertNull(seen.header("Cookie"));
    assertEquals("a", seen.header("X-Team"));
    Await.until(() -> events.containsAll(List.of("metrics completed registry 201", "audit completed registry 201")));
    assertTrue(events.indexOf("metrics completed registry 201") < events.indexOf("audit completed registry 201"));
  }

  @Test
  void headerRulesCannotForgeForwardingHeadersOrBreakFraming() {
    for (String name : List.of("X-Forwarded-For", "Forwarded", "X-Real-IP", "X-Request-Id", "Connection", "Content-Length")) {
      InvalidSettingException e = assertThrows(InvalidSettingException.class, () -> HeaderRules.forRequests().set(name, "x"));
      assertEquals("name", e.setting());
    }
    assertThrows(InvalidSettingException.class, () -> HeaderRules.forResponses().add("Transfer-Encoding", "chunked"));
    assertThrows(InvalidSettingException.class, () -> HeaderRules.forResponses().add("X-Ok", "a\r\nSet-Cookie: x"));
    assertEquals("set X-Team: a; add X-Trace: 1; remove Cookie",
        HeaderRules.forRequests().set("X-Team", "a").add("X-Trace", "1").remove("Cookie").build().toString());
    assertEquals("X-Forwarded-Proto", HeaderRules.forResponses().set("X-Forwarded-Proto", "https").build().additions().get(0).getName(),
        "the response leg may carry a forwarding header: nothing trusts it there");
  }
}
