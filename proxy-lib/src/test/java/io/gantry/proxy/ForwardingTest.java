package io.gantry.proxy;

import static io.gantry.proxy.route.RouteStrategies.any;
import static io.gantry.proxy.route.RouteStrategies.pathPrefix;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.gantry.proxy.header.ForwardedHeaders;
import io.gantry.proxy.route.Route;
import io.gantry.proxy.route.RouteTable;
import io.gantry.proxy.upstream.Upstream;
import io.gantry.proxy.testing.Backend;
import io.gantry.proxy.testing.Proxy;
import io.gantry.proxy.testing.Proxy.Engine;
import io.gantry.proxy.testing.TestCertificates;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import javax.net.ssl.SSLSocket;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.ForwardedRequestCustomizer;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What gantry tells the backend about the client: a Jetty backend with {@link
 * ForwardedRequestCustomizer} (how Nexus reads proxies) must compute the public URL exactly.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(Engine.class)
class ForwardingTest {
  @Parameter
  Engine engine;

  private Server nexusLike;
  private Proxy proxy;
  private Backend recorder;

  @AfterEach
  void stop() throws Exception {
    if (proxy != null) {
      proxy.close();
    }
    if (nexusLike != null) {
      nexusLike.stop();
    }
    if (recorder != null) {
      recorder.close();
    }
  }

  /** A servlet backend behind ForwardedRequestCustomizer answering with its getRequestURL(). */
  private int startNexusLike() throws Exception {
    nexusLike = new Server();
    HttpConfiguration config = new HttpConfiguration();
    config.addCustomizer(new ForwardedRequestCustomizer());
    ServerConnector connector = new ServerConnector(nexusLike, new HttpConnectionFactory(config));
    connector.setHost("127.0.0.1");
    nexusLike.addConnector(connector);
    ServletContextHandler context = new ServletContextHandler("/");
    context.addServlet(new ServletHolder(new HttpServlet() {
      @Override
      protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        resp.setContentType("text/plain");
        resp.getWriter().print(req.getRequestURL() + " " + req.getRemoteAddr() + " " + req.isSecure());
      }
    }), "/*");
    nexusLike.setHandler(context);
    nexusLike.start();
    return connector.getLocalPort();
  }

  private void startProxy(String upstreamUrl, ForwardedHeaders forwarded) throws Exception {
    RouteTable routes = RouteTable.builder()
        .route(Route.of("all", any(), Upstream.of(upstreamUrl)))
        .build();
    proxy = new Proxy(engine, b -> b.routes(routes).forwardedHeaders(forwarded), true);
  }

  private static String httpsGet(int port, String hostHeader, String path) throws Exception {
    // HttpsURLConnection takes Host from the URL, so send the request by hand over TLS.
    try (SSLSocket socket = (SSLSocket) TestCertificates.clientContext().getSocketFactory().createSocket("localhost", port)) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: " + hostHeader
          + "\r\nX-Forwarded-Host: evil.example.com\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Port: 1"
          + "\r\nForwarded: for=6.6.6.6;host=evil.example.com;proto=http\r\nX-Forwarded-For: 6.6.6.6"
          + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
      String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
      return response.substring(response.indexOf("\r\n\r\n") + 4);
    }
  }

  @ParameterizedTest(name = "Host {0}")
  @CsvSource({
      "registry.example.com:5001, https://registry.example.com:5001/repository/docker-hosted/v2/",
      "registry.example.com,      https://registry.example.com/repository/docker-hosted/v2/",
      "registry.example.com:443,  https://registry.example.com/repository/docker-hosted/v2/",
      "Registry.Example.com:8443, https://Registry.Example.com:8443/repository/docker-hosted/v2/",
      "127.0.0.1:15471,           https://127.0.0.1:15471/repository/docker-hosted/v2/",
  })
  void jettyBackendSeesThePublicUrlWithThePortOnce(String hostHeader, String expectedUrl) throws Exception {
    int port = startNexusLike();
    startProxy("http://127.0.0.1:" + port + "/repository/docker-hosted/", ForwardedHeaders.NONE_TRUSTED);
    String body = httpsGet(proxy.tlsPort(), hostHeader, "/v2/");
    assertEquals(expectedUrl + " 127.0.0.1 true", body.trim());
  }

  @Test
  void plainListenerGivesHttpUrls() throws Exception {
    int port = startNexusLike();
    startProxy("http://127.0.0.1:" + port + "/", ForwardedHeaders.NONE_TRUSTED);
    given().port(proxy.port()).header("Host", "nexus.example.com:8080").header("X-Forwarded-Proto", "https")
        .get("/service/rest/v1/status")
        .then().statusCode(200)
        .body(org.hamcrest.Matchers.equalTo("http://nexus.example.com:8080/service/rest/v1/status 127.0.0.1 false"));
  }

  @Test
  void forgedForwardingHeadersAreReplacedFromTheConnection() throws Exception {
    recorder = new Backend("recorder");
    startProxy(recorder.url("/"), ForwardedHeaders.NONE_TRUSTED);
    given().port(proxy.port()).header("Host", "registry.example.com:5000")
        .header("X-Forwarded-For", "6.6.6.6").header("X-Forwarded-Proto", "https")
        .header("X-Forwarded-Host", "evil.example.com").header("X-Forwarded-Port", "1")
        .header("X-Real-IP", "6.6.6.6").header("Forwarded", "for=6.6.6.6;proto=https")
        .header("X-Forwarded-Server", "evil").header("X-Forwarded-Prefix", "/evil")
        .get("/v2/").then().statusCode(200);
    Backend.Seen seen = recorder.next();
    assertEquals("127.0.0.1", seen.header("X-Forwarded-For"));
    assertEquals("http", seen.header("X-Forwarded-Proto"));
    assertEquals("registry.example.com:5000", seen.header("X-Forwarded-Host"));
    assertEquals("5000", seen.header("X-Forwarded-Port"));
    assertEquals("127.0.0.1", seen.header("X-Real-IP"));
    assertEquals("for=127.0.0.1;host=\"registry.example.com:5000\";proto=http", seen.header("Forwarded"));
    assertNull(seen.header("X-Forwarded-Server"));
    assertNull(seen.header("X-Forwarded-Prefix"));
    assertEquals(1, seen.headers().getValuesList("X-Forwarded-For").size());
  }

  @Test
  void trustedProxyHeadersAreKeptAndAppendedTo() throws Exception {
    recorder = new Backend("recorder");
    startProxy(recorder.url("/"), ForwardedHeaders.trusting("127.0.0.0/8"));
    given().port(proxy.port()).header("Host", "internal:8080")
        .header("X-Forwarded-For", "203.0.113.7").header("X-Forwarded-Proto", "https")
        .header("X-Forwarded-Host", "registry.example.com").header("X-Forwarded-Port", "443")
        .header("Forwarded", "for=203.0.113.7;proto=https;host=registry.example.com")
        .get("/v2/").then().statusCode(200);
    Backend.Seen seen = recorder.next();
    assertEquals("203.0.113.7, 127.0.0.1", seen.header("X-Forwarded-For"));
    assertEquals("https", seen.header("X-Forwarded-Proto"));
    assertEquals("registry.example.com", seen.header("X-Forwarded-Host"));
    assertEquals("443", seen.header("X-Forwarded-Port"));
    assertEquals("203.0.113.7", seen.header("X-Real-IP"));
    assertEquals("for=203.0.113.7;proto=https;host=registry.example.com, for=127.0.0.1;host=\"internal:8080\";proto=http",
        seen.header("Forwarded"));
  }

  @Test
  void httpsUpstreamIsVerifiedAgainstTheGivenTrustStore() throws Exception {
    // The proxy's own TLS connector doubles as an https upstream for a second proxy.
    recorder = new Backend("recorder");
    startProxy(recorder.url("/inner/"), ForwardedHeaders.NONE_TRUSTED);
    RouteTable verified = RouteTable.builder().route(Route.of("tls", any(),
        Upstream.builder("https://localhost:" + proxy.tlsPort() + "/").trustStore(TestCertificates.trustStore()).build())).build();
    RouteTable unverified = RouteTable.builder().route(Route.of("tls", any(),
        Upstream.of("https://localhost:" + proxy.tlsPort() + "/"))).build();
    try (Proxy outer = new Proxy(engine, b -> b.routes(verified));
         Proxy untrusting = new Proxy(engine, b -> b.routes(unverified))) {
      given().port(outer.port()).header("Host", "localhost").get("/x").then().statusCode(200);
      assertEquals("/inner/x", recorder.next().rawTarget());
      // JDK trust store does not know the self-signed certificate: verification fails -> 502.
      given().port(untrusting.port()).header("Host", "localhost").get("/x").then().statusCode(502);
    }
  }

  @Test
  void anHttpsUpstreamAddedToARunningProxyGetsTls() throws Exception {
    // A plain-HTTP upstream's client has no TLS (it never loads a trust store); an https upstream
    // with otherwise equal settings that arrives later must not end up on that client.
    recorder = new Backend("recorder");
    startProxy(recorder.url("/inner/"), ForwardedHeaders.NONE_TRUSTED);
    KeyStore trust = TestCertificates.trustStore();
    RouteTable plain = RouteTable.builder().route(Route.of("plain", any(),
        Upstream.builder(recorder.url("/plain/")).trustStore(trust).build())).build();
    RouteTable both = RouteTable.builder()
        .route(Route.of("tls", pathPrefix("/tls/"), Upstream.builder("https://localhost:" + proxy.tlsPort() + "/").trustStore(trust).build()))
        .route(Route.of("plain", any(), Upstream.builder(recorder.url("/plain/")).trustStore(trust).build()))
        .build();
    try (Proxy outer = new Proxy(engine, b -> b.routes(plain))) {
      given().port(outer.port()).header("Host", "localhost").get("/x").then().statusCode(200);
      assertEquals("/plain/x", recorder.next().rawTarget());
      outer.setRoutes(both);
      given().port(outer.port()).header("Host", "localhost").get("/tls/y").then().statusCode(200);
      assertEquals("/inner/tls/y", recorder.next().rawTarget());
      given().port(outer.port()).header("Host", "localhost").get("/z").then().statusCode(200);
      assertEquals("/plain/z", recorder.next().rawTarget());
    }
  }
}
