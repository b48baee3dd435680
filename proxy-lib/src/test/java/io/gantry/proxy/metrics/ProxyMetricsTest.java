package io.gantry.proxy.metrics;

import static io.gantry.proxy.route.RouteStrategies.host;
import static io.gantry.proxy.route.RouteStrategies.method;
import static io.gantry.proxy.route.RouteStrategies.pathPrefix;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.codahale.metrics.MetricRegistry;
import io.gantry.proxy.ProxyExchange;
import io.gantry.proxy.ProxyObserver;
import io.gantry.proxy.Refusal;
import io.gantry.proxy.route.Route;
import io.gantry.proxy.route.RouteTable;
import io.gantry.proxy.testing.Await;
import io.gantry.proxy.testing.Backend;
import io.gantry.proxy.testing.Proxy;
import io.gantry.proxy.testing.Proxy.Engine;
import io.gantry.proxy.testing.RawHttp;
import io.gantry.proxy.testing.TestCertificates;
import io.gantry.proxy.upstream.Upstream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The library's metrics, recorded by a real proxy (both engines, a plain and a TLS connector) in
 * front of a real backend, read from the embedder's registry.
 *
 * <p>Routes, all for host {@code localhost}: {@code pull} (GET/HEAD under {@code /v2/}) and {@code
 * push} (the rest of {@code /v2/}) to the backend, named upstream {@code nexus}; {@code down}
 * ({@code /down/}) to a port nothing listens on, left unnamed.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(Engine.class)
class ProxyMetricsTest {
  @Parameter
  Engine engine;

  private Backend backend;
  private Proxy proxy;
  private Upstream nexus;
  private Upstream dead;
  private MetricRegistry registry;
  private final List<String> refusals = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws Exception {
    backend = new Backend("backend");
    nexus = Upstream.of(backend.url("/repository/docker-group/"));
    dead = Upstream.of("http://127.0.0.1:" + freePort() + "/repository/gone/");
    RouteTable routes = RouteTable.builder()
        .route(Route.of("pull", host("localhost").and(pathPrefix("/v2/")).and(method("GET", "HEAD")), nexus))
        .route(Route.of("push", host("localhost").and(pathPrefix("/v2/")), nexus))
        .route(Route.of("down", host("localhost").and(pathPrefix("/down/")), dead))
        .build();
    registry = new MetricRegistry();
    ProxyMetrics metrics = ProxyMetrics.builder(registry).routes(routes).upstreamName("nexus", nexus).build();
    ProxyObserver kinds = new ProxyObserver() {
      @Override
      public void onRefused(ProxyExchange exchange, int status, String reason) {
        refusals.add(status + " " + exchange.refusal());
      }
    };
    proxy = new Proxy(engine, b -> b.routes(routes).observer(metrics).observer(kinds), true);
  }

  @AfterEach
  void stop() throws Exception {
    proxy.close();
    backend.close();
  }

  private static final String DEAD = "gantry.upstream.127_0_0_1_";

  private String deadPrefix() {
    return DEAD + dead.port() + "_repository_gone.";
  }

  @Test
  void knownRoutesAndUpstreamsExistAtZeroBeforeTraffic() {
    for (String prefix : List.of("gantry.route.pull.", "gantry.route.push.", "gantry.route.down.",
        "gantry.upstream.nexus.", deadPrefix())) {
      assertTrue(registry.getTimers().containsKey(prefix + "requests"), prefix + " in " + registry.getNames());
      for (int c = 1; c <= 5; c++) {
        assertTrue(registry.getMeters().containsKey(prefix + "responses." + c + "xx"), prefix + c);
      }
      for (String counter : List.of("bytes-in", "bytes-out")) {
        assertTrue(registry.getCounters().containsKey(prefix + counter), prefix + counter);
      }
      for (String meter : List.of("upstream-errors", "client-errors")) {
        assertTrue(registry.getMeters().containsKey(prefix + meter), prefix + meter);
      }
    }
    assertTrue(registry.getMeters().containsKey("gantry.route.pull.refused"));
    assertTrue(registry.getNames().stream().noneMatch(n -> n.startsWith("gantry.upstream.") && n.endsWith(".refused")));
  }

  @Test
  void proxiedRequestIsCountedOnItsRouteAndUpstreamWithStatusClassAndBytes() throws Exception {
    String body = given().port(proxy.port()).get("/v2/x").then().statusCode(200).extract().asString();
    given().port(proxy.port()).body("0123456789").put("/v2/y").then().statusCode(200);

    Await.until(() -> registry.timer("gantry.upstream.nexus.requests").getCount() == 2);
    Await.until(() -> registry.timer("gantry.route.push.requests").getCount() == 1);
    assertEquals(1, registry.timer("gantry.route.pull.requests").getCount());
    assertEquals(1, registry.meter("gantry.route.pull.responses.2xx").getCount());
    assertEquals(body.length(), registry.counter("gantry.route.pull.bytes-out").getCount());
    assertEquals(0, registry.counter("gantry.route.pull.bytes-in").getCount());
    assertEquals(10, registry.counter("gantry.route.push.bytes-in").getCount());
    assertEquals(2, registry.meter("gantry.upstream.nexus.responses.2xx").getCount());
    assertEquals(10, registry.counter("gantry.upstream.nexus.bytes-in").getCount());
    assertTrue(registry.counter("gantry.upstream.nexus.bytes-out").getCount() >= 2L * body.length() - 2);
    assertTrue(registry.timer("gantry.upstream.nexus.requests").getSnapshot().getMax() > 0, "latency recorded");
    assertEquals(0, registry.timer(deadPrefix() + "requests").getCount());
    assertEquals(0, registry.timer("gantry.unrouted.requests").getCount());
  }

  @Test
  void refusalsAreCountedByStatusAndReason() throws Exception {
    assertEquals(404, RawHttp.get(proxy.port(), "/nowhere", "localhost").status());
    assertEquals(400, RawHttp.get(proxy.port(), "/v2/%252e%252e/x", "localhost").status());
    // Jetty refuses a path above the root itself, before any handler: counted all the same.
    assertEquals(400, RawHttp.get(proxy.port(), "/v2/../../etc/passwd", "localhost").status());
    assertEquals(404, RawHttp.get(proxy.port(), "/v2/x", "elsewhere.test").status());
    assertEquals(405, RawHttp.send(proxy.port(), "TRACE /v2/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .status());
    assertEquals(400, RawHttp.get(proxy.port(), "/v2/a%2Fb", "localhost").status());

    Await.until(() -> registry.timer("gantry.unrouted.requests").getCount() == 5);
    Await.until(() -> registry.timer("gantry.route.pull.requests").getCount() == 1);
    assertEquals(List.of("404 NO_ROUTE", "400 UNSAFE_PATH", "400 MALFORMED", "404 UNKNOWN_HOST",
        "405 METHOD_NOT_ALLOWED", "400 ENCODED_SLASH"), refusals);
    assertEquals(1, registry.meter("gantry.unrouted.refused.no-route").getCount());
    assertEquals(1, registry.meter("gantry.unrouted.refused.unsafe-path").getCount());
    assertEquals(1, registry.meter("gantry.unrouted.refused.malformed").getCount());
    assertEquals(1, registry.meter("gantry.unrouted.refused.unknown-host").getCount());
    assertEquals(1, registry.meter("gantry.unrouted.refused.method-not-allowed").getCount());
    assertEquals(2, registry.meter("gantry.unrouted.refused.404").getCount(), "by status, as before");
    assertEquals(2, registry.meter("gantry.unrouted.refused.400").getCount());
    assertEquals(1, registry.meter("gantry.unrouted.refused.405").getCount());
    assertEquals(5, registry.meter("gantry.unrouted.responses.4xx").getCount());
    // The encoded slash matched a route: counted there, and never on the upstream it was not sent to.
    assertEquals(1, registry.meter("gantry.route.pull.refused").getCount());
    assertEquals(1, registry.meter("gantry.route.pull.refused.encoded-slash").getCount());
    assertEquals(1, registry.meter("gantry.route.pull.responses.4xx").getCount());
    assertEquals(0, registry.timer("gantry.upstream.nexus.requests").getCount());
    assertEquals(List.of(), backend.all());
  }

  @Test
  void hostCheckRefusalsOnTlsAre421CountedPerListenerAndByReason() throws Exception {
    // SNI localhost, Host elsewhere: the certificate the client checked is not for the host it asks.
    assertEquals(421, https("localhost", "elsewhere.test").status());
    // SNI and Host agree, but no route serves that host here: the client should try elsewhere.
    assertEquals(421, https("elsewhere.test", "elsewhere.test").status());
    assertEquals(200, https("localhost", "localhost").status());

    Await.until(() -> registry.timer("gantry.unrouted.requests").getCount() == 2);
    assertEquals(2, registry.meter("gantry.listener.tls.misdirected").getCount());
    assertEquals(2, registry.meter("gantry.unrouted.refused.421").getCount());
    assertEquals(1, registry.meter("gantry.unrouted.refused.misdirected").getCount());
    assertEquals(1, registry.meter("gantry.unrouted.refused.unknown-host").getCount());
    assertEquals(List.of("421 MISDIRECTED", "421 UNKNOWN_HOST"), refusals);
    Await.until(() -> registry.timer("gantry.upstream.nexus.requests").getCount() == 1);
    assertTrue(registry.getNames().stream().noneMatch(n -> n.startsWith("gantry.listener.plain.")), "only the TLS listener");
  }

  @Test
  void deadUpstreamCountsAnUpstreamErrorOnRouteAndUpstream() throws Exception {
    given().port(proxy.port()).get("/down/x").then().statusCode(502);

    Await.until(() -> registry.timer("gantry.route.down.requests").getCount() == 1);
    Await.until(() -> registry.timer(deadPrefix() + "requests").getCount() == 1);
    assertEquals(1, registry.meter("gantry.route.down.upstream-errors").getCount());
    assertEquals(1, registry.meter(deadPrefix() + "upstream-errors").getCount());
    assertEquals(1, registry.meter(deadPrefix() + "responses.5xx").getCount());
    assertEquals(0, registry.meter(deadPrefix() + "client-errors").getCount());
    assertEquals(0, registry.meter("gantry.unrouted.refused.502").getCount(), "no refusal: the proxy tried");
  }

  @Test
  void brokenRequestBodyIsAClientErrorNotAnUpstreamError() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", proxy.port())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(("PUT /v2/upload HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
          + "5\r\nhello\r\nZZ\r\nnot a chunk\r\n0\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      socket.shutdownOutput();
      readQuietly(socket);
    }

    Await.until(() -> registry.timer("gantry.route.push.requests").getCount() == 1);
    Await.until(() -> registry.timer("gantry.upstream.nexus.requests").getCount() == 1);
    assertEquals(1, registry.meter("gantry.route.push.client-errors").getCount());
    assertEquals(1, registry.meter("gantry.upstream.nexus.client-errors").getCount());
    assertEquals(0, registry.meter("gantry.route.push.upstream-errors").getCount());
    assertEquals(0, registry.meter("gantry.upstream.nexus.upstream-errors").getCount());
    assertEquals(0, registry.meter("gantry.upstream.nexus.responses.5xx").getCount());
  }

  @Test
  void jettysOwnRefusalsBeforeRoutingAreCountedByReason() throws Exception {
    RawHttp.Reply reply = RawHttp.send(proxy.port(), "GET /v2/x HTTP/1.1\r\nHost: localhost\r\nX-Big: "
        + "x".repeat(20_000) + "\r\nConnection: close\r\n\r\n");
    assertEquals(431, reply.status());
    assertEquals(414, RawHttp.get(proxy.port(), "/v2/" + "x".repeat(20_000), "localhost").status());

    Await.until(() -> registry.timer("gantry.unrouted.requests").getCount() == 2);
    assertEquals(1, registry.meter("gantry.unrouted.refused.431").getCount());
    assertEquals(1, registry.meter("gantry.unrouted.refused.headers-too-large").getCount());
    assertEquals(1, registry.meter("gantry.unrouted.refused.414").getCount());
    assertEquals(1, registry.meter("gantry.unrouted.refused.uri-too-long").getCount());
    assertEquals(2, registry.meter("gantry.unrouted.responses.4xx").getCount());
    assertEquals(List.of("431 HEADERS_TOO_LARGE", "414 URI_TOO_LONG"), refusals);
    assertEquals(0, registry.timer("gantry.route.pull.requests").getCount());
  }

  /** An HTTP/1.1 GET over TLS with the given SNI name and Host header. */
  private RawHttp.Reply https(String sni, String hostHeader) throws Exception {
    try (SSLSocket socket = (SSLSocket) TestCertificates.clientContext().getSocketFactory()
        .createSocket("127.0.0.1", proxy.tlsPort())) {
      SSLParameters params = socket.getSSLParameters();
      params.setServerNames(List.of(new SNIHostName(sni)));
      socket.setSSLParameters(params);
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(("GET /v2/x HTTP/1.1\r\nHost: " + hostHeader + "\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      socket.getOutputStream().flush();
      return RawHttp.read(socket.getInputStream());
    }
  }

  private static void readQuietly(Socket socket) {
    try {
      socket.getInputStream().readAllBytes();
    } catch (IOException e) {
      // the proxy may close without a response; the metrics are what is under test
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
