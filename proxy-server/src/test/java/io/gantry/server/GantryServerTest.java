package io.gantry.server;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.inject.Guice;
import io.gantry.server.config.ConfigLoader;
import io.gantry.server.config.GantryConfig;
import io.gantry.server.connector.WorkerThreads;
import io.gantry.server.tls.TestPki;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;
import org.eclipse.jetty.client.AsyncRequestContent;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.CompletableResponseListener;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.http2.client.HTTP2Client;
import org.eclipse.jetty.http2.client.transport.HttpClientTransportOverHTTP2;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * gantry as {@code bin/gantry run} assembles it (config file, Guice, GantryServer): certificates
 * chosen by SNI on one port, the SNI/Host check, port mapping, HTTP/2, redirects and the admin
 * connector, against real backends; TLS checked from the client side.
 */
@ParameterizedClass(name = "{0} engine")
@EnumSource(GantryConfig.Engine.class)
class GantryServerTest {
  @Parameter
  GantryConfig.Engine engine;

  @TempDir
  static Path dir;

  private static Server backends;
  private static final Map<String, ServerConnector> BACKEND = new java.util.HashMap<>();
  private static final BlockingQueue<String> SEEN = new LinkedBlockingQueue<>();
  private static GantryServer gantry;
  private static TestPki pki;
  private static TrustManagerFactory trust;

  @BeforeParameterizedClassInvocation
  static void start(GantryConfig.Engine engine) throws Exception {
    BACKEND.clear();
    SEEN.clear();
    backends = new Server();
    for (String name : List.of("hosted", "group", "b", "ui")) {
      ServerConnector c = new ServerConnector(backends);
      c.setHost("127.0.0.1");
      c.setName(name);
      backends.addConnector(c);
      BACKEND.put(name, c);
    }
    backends.setHandler(new Handler.Abstract() {
      @Override
      public boolean handle(Request request, Response response, Callback callback) {
        String name = request.getConnectionMetaData().getConnector().getName();
        if (request.getHttpURI().getPath().endsWith("/digest")) { // the body's length and SHA-256
          Content.Source.asByteArrayAsync(request, -1).whenComplete((body, failure) -> {
            if (failure != null) {
              callback.failed(failure);
            } else {
              Content.Sink.write(response, true, body.length + " " + sha256(ByteBuffer.wrap(body)), callback);
            }
          });
          return true;
        }
        String seen = name + " " + request.getMethod() + " " + request.getHttpURI().getPathQuery()
            + " host=" + request.getHeaders().get("Host") + " xfh=" + request.getHeaders().get("X-Forwarded-Host")
            + " xfp=" + request.getHeaders().get("X-Forwarded-Proto");
        SEEN.add(seen);
        response.getHeaders().put("X-Backend", name);
        Content.Sink.write(response, true, seen, callback);
        return true;
      }
    });
    backends.start();

    pki = new TestPki(dir);
    List<String> certs = new ArrayList<>();
    for (String host : List.of("registry.example.test", "a.example.test", "b.example.test")) {
      Path[] files = pki.writePem(host, pki.leaf(host, host.startsWith("a.") ? TestPki.Alg.RSA : TestPki.Alg.EC), "pkcs8");
      certs.add("{ cert = \"" + files[0] + "\", key = \"" + files[1] + "\" }");
    }
    Path[] wildcard = pki.writePem("wildcard", pki.leaf("*.example.test", TestPki.Alg.EC), "pkcs8");
    certs.add("{ cert = \"" + wildcard[0] + "\", key = \"" + wildcard[1] + "\" }");

    Path conf = dir.resolve("gantry.conf");
    Files.writeString(conf, """
        gantry {
          listeners = [
            { name = https, port = 0, host = 127.0.0.1 }
            { name = push, port = 0, host = 127.0.0.1 }
            { name = plain, port = 0, host = 127.0.0.1, tls = false }
            { name = redirect, port = 0, host = 127.0.0.1, tls = false, redirect-to = 8443 }
            { name = strict, port = 0, host = 127.0.0.1, hsts { max-age = 30d, include-subdomains = true } }
            { name = h1only, port = 0, host = 127.0.0.1, http2 = false }
          ]
          tls { certificates = [ %s ], default-certificate = registry.example.test }
          upstreams {
            hosted = "%s/repository/docker-hosted/"
            group = "%s/repository/docker-group/"
            b = "%s/repository/docker-b/"
            ui = "%s/"
            dead = "http://127.0.0.1:%d/"
          }
          routes = [
            { name = push-port, listener = push, to = hosted }
            { name = pull, host = registry.example.test, method = [GET, HEAD], to = group }
            { name = push, host = registry.example.test, to = hosted }
            { name = project-a, host = a.example.test, to = group }
            { name = project-b, host = b.example.test, to = b }
            { name = others, host = "*.example.test", listener = https, to = ui }
            { name = plain-ui, listener = plain, host = localhost, to = ui }
            { name = gone, listener = plain, host = gone.test, to = dead }
          ]
          admin { host = 127.0.0.1, port = 0 }
          access-log { format = json, path = "%s" }
          shutdown-grace = 1s
          engine = %s
        }
        """.formatted(String.join(", ", certs), url("hosted"), url("group"), url("b"), url("ui"), freePort(),
            accessLog(engine).toString().replace("\\", "/"), engine));
    GantryConfig config = ConfigLoader.defaults().load(conf);
    gantry = Guice.createInjector(new GantryModule(config)).getInstance(GantryServer.class);
    gantry.start();

    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ca", pki.caCert);
    GantryServerTest.trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    GantryServerTest.trust.init(trust);
  }

  /** An HTTP/2-only client trusting the test CA that resolves every name to 127.0.0.1 (the URL names SNI and :authority). */
  private static HttpClient http2Client() throws Exception {
    ClientConnector connector = new ClientConnector();
    SslContextFactory.Client ssl = new SslContextFactory.Client();
    ssl.setSslContext(trustingClient());
    connector.setSslContextFactory(ssl);
    HttpClient client = new HttpClient(new HttpClientTransportOverHTTP2(new HTTP2Client(connector)));
    // Resolve the name to 127.0.0.1 ourselves: the URL carries the name for SNI and :authority.
    client.setSocketAddressResolver((host, p, context, promise) ->
        {
          try {
            promise.succeeded(List.of(new java.net.InetSocketAddress(
                java.net.InetAddress.getByAddress(host, new byte[] {127, 0, 0, 1}), p)));
          } catch (java.net.UnknownHostException e) {
            promise.failed(e);
          }
        });
    client.start();
    return client;
  }

  private static String sha256(ByteBuffer bytes) {
    try {
      return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(
          BufferUtil.toArray(bytes)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A new client context per connection: no TLS session of one name is resumed for another. */
  private static SSLContext trustingClient() throws Exception {
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, trust.getTrustManagers(), null);
    return context;
  }

  private static int freePort() throws Exception {
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private static Path accessLog(GantryConfig.Engine engine) {
    return dir.resolve("access-" + engine + ".log");
  }

  /** The access log line holding {@code needle}, waiting for it: Jetty logs after the response is sent. */
  private String accessLine(String needle) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (System.nanoTime() < deadline) {
      if (Files.exists(accessLog(engine))) {
        for (String line : Files.readAllLines(accessLog(engine))) {
          if (line.contains(needle)) {
            return line;
          }
        }
      }
      Thread.sleep(20);
    }
    throw new AssertionError("no access log line with " + needle + " within 5 s");
  }

  @Test
  void autoThreadsAreFewOnTheHandlerAndJettysUsualOnTheServlet() {
    int cores = Runtime.getRuntime().availableProcessors();
    if (engine == GantryConfig.Engine.SERVLET) {
      assertEquals(256, gantry.maxThreads(), "the servlet proxy parks threads");
    } else {
      // acceptors and selectors of the listeners (Jetty: up to 4 + cores/2 each), a client selector per upstream, the workers
      int threads = gantry.maxThreads();
      int workers = WorkerThreads.PER_CORE * cores;
      assertTrue(threads >= WorkerThreads.AT_LEAST && threads > workers && threads <= workers + 2 * cores + 30,
          threads + " threads at most");
    }
  }

  @Test
  void accessLogNamesRouteRequestIdHostAndStatusWhateverTheOutcome() throws Exception {
    String id = "e2e-" + engine;
    int plain = gantry.port("plain");
    given().port(plain).header("Host", "localhost").header("X-Request-Id", id + "-ok").get("/ui").then().statusCode(200);
    assertTrue(accessLine(id + "-ok").matches(
        ".*\"status\":200,.*\"request_id\":\"" + id + "-ok\",\"route\":\"plain-ui\",.*\"host\":\"localhost\"}"),
        accessLine(id + "-ok"));
    given().port(plain).header("Host", "nowhere.test").header("X-Request-Id", id + "-404").get("/x").then().statusCode(404);
    assertTrue(accessLine(id + "-404").matches(
        ".*\"status\":404,.*\"request_id\":\"" + id + "-404\",\"route\":\"-\",.*\"host\":\"nowhere.test\"}"),
        accessLine(id + "-404"));
    given().port(plain).header("Host", "gone.test").header("X-Request-Id", id + "-502").get("/v2/").then().statusCode(502);
    assertTrue(accessLine(id + "-502").matches(
        ".*\"status\":502,.*\"request_id\":\"" + id + "-502\",\"route\":\"gone\",.*\"host\":\"gone.test\"}"),
        accessLine(id + "-502"));
    // A 421 is answered before any route: the line still has a generated request id and the host.
    Exchange misdirected = https(gantry.port("https"), "registry.example.test", "a.example.test", "GET", "/v2/?" + id);
    assertEquals(421, misdirected.status());
    String line = accessLine("/v2/?" + id);
    assertTrue(line.matches(".*\"status\":421,.*\"request_id\":\"[0-9a-f]{32}\",\"route\":\"-\",.*"
        + "\"host\":\"registry.example.test\"}"), line);
  }

  private static String url(String backend) {
    return "http://127.0.0.1:" + BACKEND.get(backend).getLocalPort();
  }

  @AfterParameterizedClassInvocation
  static void stop() throws Exception {
    gantry.stop();
    backends.stop();
  }

  @BeforeEach
  void drain() {
    SEEN.clear();
  }

  /** A raw HTTPS exchange: SNI (null for none), the certificate served, then the response text. */
  private record Exchange(X509Certificate certificate, String response) {
    int status() {
      return Integer.parseInt(response.substring(9, 12));
    }
  }

  private static Exchange https(int port, String sni, String hostHeader, String method, String path) throws Exception {
    try (SSLSocket socket = (SSLSocket) trustingClient().getSocketFactory().createSocket("127.0.0.1", port)) {
      SSLParameters params = socket.getSSLParameters();
      params.setServerNames(sni == null ? List.of() : List.of(new SNIHostName(sni)));
      socket.setSSLParameters(params);
      socket.setSoTimeout(10_000);
      socket.startHandshake();
      X509Certificate served = (X509Certificate) socket.getSession().getPeerCertificates()[0];
      socket.getOutputStream().write((method + " " + path + " HTTP/1.1\r\nHost: " + hostHeader
          + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      in.transferTo(out);
      return new Exchange(served, out.toString(StandardCharsets.ISO_8859_1));
    }
  }

  private static String san(X509Certificate c) throws Exception {
    return (String) c.getSubjectAlternativeNames().iterator().next().get(1);
  }

  @Test
  void eachHostOnOnePortGetsItsOwnCertificateAndBackend() throws Exception {
    int port = gantry.port("https");
    Exchange registry = https(port, "registry.example.test", "registry.example.test", "GET", "/v2/");
    Exchange a = https(port, "a.example.test", "a.example.test", "GET", "/v2/");
    Exchange b = https(port, "b.example.test", "b.example.test:" + port, "GET", "/v2/");
    assertEquals("registry.example.test", san(registry.certificate()));
    assertEquals("a.example.test", san(a.certificate()));
    assertEquals("RSA", a.certificate().getPublicKey().getAlgorithm(), "exact RSA beats the EC wildcard");
    assertEquals("b.example.test", san(b.certificate()));
    assertTrue(registry.response().contains("X-Backend: group"), registry.response());
    assertTrue(a.response().contains("X-Backend: group"), a.response());
    assertTrue(b.response().contains("X-Backend: b"), b.response());
    assertTrue(b.response().contains("b GET /repository/docker-b/v2/ host=b.example.test:" + port), b.response());
  }

  @Test
  void namesWithoutTheirOwnCertificateGetTheWildcardAndClientsWithoutSniTheDefault() throws Exception {
    int port = gantry.port("https");
    Exchange other = https(port, "other.example.test", "other.example.test", "GET", "/");
    assertEquals("*.example.test", san(other.certificate()));
    assertEquals(200, other.status());
    assertTrue(other.response().contains("X-Backend: ui"), other.response());
    Exchange noSni = https(port, null, "registry.example.test", "GET", "/v2/");
    assertEquals("registry.example.test", san(noSni.certificate()));
    assertEquals(200, noSni.status(), "a client without SNI is routed by Host alone");
  }

  @Test
  void hostDifferingFromSniIsMisdirectedAndReachesNoBackend() throws Exception {
    int port = gantry.port("https");
    for (String host : List.of("b.example.test", "b.example.test:" + port, "registry.example.test")) {
      Exchange e = https(port, "a.example.test", host, "GET", "/v2/");
      assertEquals(421, e.status(), e.response());
    }
    // The wildcard certificate covers both names; gantry compares the names themselves.
    Exchange fronted = https(port, "x.example.test", "y.example.test", "GET", "/");
    assertEquals(421, fronted.status());
    assertEquals(null, SEEN.poll(300, TimeUnit.MILLISECONDS), "no backend may be contacted");
  }

  @Test
  void hostWithoutRoutesOnTheListenerIs421OnTlsAnd404OnPlain() throws Exception {
    Exchange unknown = https(gantry.port("https"), "unknown.other.test", "unknown.other.test", "GET", "/");
    assertEquals(421, unknown.status(), unknown.response());
    given().port(gantry.port("plain")).header("Host", "elsewhere.test").get("/").then().statusCode(404);
    given().port(gantry.port("plain")).header("Host", "localhost").get("/ui").then().statusCode(200).header("X-Backend", "ui");
    assertEquals("ui GET /ui host=localhost xfh=localhost xfp=http", SEEN.poll(5, TimeUnit.SECONDS));
  }

  @Test
  void portMappingSendsEverythingOnTheListenerToItsUpstream() throws Exception {
    int port = gantry.port("push");
    Exchange e = https(port, "registry.example.test", "registry.example.test:" + port, "POST", "/v2/x/blobs/uploads/");
    assertEquals(200, e.status(), e.response());
    assertEquals("hosted POST /repository/docker-hosted/v2/x/blobs/uploads/ host=registry.example.test:" + port
        + " xfh=registry.example.test:" + port + " xfp=https", SEEN.poll(5, TimeUnit.SECONDS));
  }

  @Test
  void methodSplitOnOneHost() throws Exception {
    int port = gantry.port("https");
    assertTrue(https(port, "registry.example.test", "registry.example.test", "HEAD", "/v2/").response().contains("X-Backend: group"));
    assertTrue(https(port, "registry.example.test", "registry.example.test", "PUT", "/v2/x/manifests/1").response()
        .contains("X-Backend: hosted"));
  }

  @Test
  void http2OverTlsWorksAndTheBackendSeesThePublicHost() throws Exception {
    HttpClient client = http2Client();
    try {
      int port = gantry.port("https");
      ContentResponse r = client.newRequest("https://registry.example.test:" + port + "/v2/")
          .timeout(10, TimeUnit.SECONDS).send();
      assertEquals(HttpVersion.HTTP_2, r.getVersion());
      assertEquals(200, r.getStatus());
      assertEquals("group GET /repository/docker-group/v2/ host=registry.example.test:" + port
          + " xfh=registry.example.test:" + port + " xfp=https", SEEN.poll(5, TimeUnit.SECONDS));
    } finally {
      client.stop();
    }
  }

  @Test
  void http2UploadsArriveWholeInWhateverFramesTheClientSends() throws Exception {
    HttpClient client = http2Client();
    try {
      byte[] body = new byte[3 * 1024 * 1024 + 17];
      new java.util.Random(15).nextBytes(body);
      String expected = body.length + " " + sha256(ByteBuffer.wrap(body));
      String url = "https://registry.example.test:" + gantry.port("https") + "/v2/x/blobs/uploads/digest";
      // One buffer (16 KiB DATA frames, the server's frame size) ...
      ContentResponse whole = client.newRequest(url).method("PUT").body(new BytesRequestContent(body))
          .timeout(30, TimeUnit.SECONDS).send();
      assertEquals(HttpVersion.HTTP_2, whole.getVersion());
      assertEquals(expected, whole.getContentAsString());
      // ... and odd-sized writes (a DATA frame each), no Content-Length, the last frame empty.
      AsyncRequestContent pieces = new AsyncRequestContent();
      CompletableFuture<ContentResponse> pieced = new CompletableResponseListener(
          client.newRequest(url).method("PATCH").body(pieces).timeout(30, TimeUnit.SECONDS)).send();
      for (int at = 0; at < body.length; at += 997) {
        pieces.write(ByteBuffer.wrap(body, at, Math.min(997, body.length - at)), Callback.NOOP);
      }
      pieces.close();
      assertEquals(expected, pieced.get(30, TimeUnit.SECONDS).getContentAsString());
    } finally {
      client.stop();
    }
  }

  @Test
  void hstsIsSentOnlyWhereTheListenerAsksForIt() throws Exception {
    Exchange strict = https(gantry.port("strict"), "registry.example.test", "registry.example.test", "GET", "/v2/");
    assertTrue(strict.response().contains("Strict-Transport-Security: max-age=2592000; includeSubDomains"), strict.response());
    Exchange plain = https(gantry.port("https"), "registry.example.test", "registry.example.test", "GET", "/v2/");
    assertTrue(!plain.response().contains("Strict-Transport-Security"), plain.response());
  }

  @Test
  void tlsListenersOfferH2UnlessHttp2IsFalse() throws Exception {
    for (String listener : List.of("https", "push", "h1only")) {
      try (SSLSocket socket = (SSLSocket) trustingClient().getSocketFactory().createSocket("127.0.0.1", gantry.port(listener))) {
        SSLParameters params = socket.getSSLParameters();
        params.setServerNames(List.of(new SNIHostName("registry.example.test")));
        params.setApplicationProtocols(new String[] {"h2", "http/1.1"});
        socket.setSSLParameters(params);
        socket.startHandshake();
        // Without ALPN on the server the handshake selects no protocol: the connection is HTTP/1.1.
        assertEquals(listener.equals("h1only") ? "" : "h2", socket.getApplicationProtocol(), listener);
      }
    }
    Exchange e = https(gantry.port("h1only"), "registry.example.test", "registry.example.test", "GET", "/v2/");
    assertEquals(200, e.status());
  }

  @Test
  void javasHttpClientNegotiatesH2ByDefaultAndHttp11WhereHttp2IsFalse() throws Exception {
    // The JDK's client verifies the host name unless its trust manager is an extended one that
    // does not: the test CA's chain is still checked. No SNI (an IP address): the default certificate.
    X509TrustManager ca = (X509TrustManager) trust.getTrustManagers()[0];
    X509ExtendedTrustManager chainOnly = new X509ExtendedTrustManager() {
      @Override public void checkServerTrusted(X509Certificate[] chain, String auth,
          SSLEngine engine) throws CertificateException {
        ca.checkServerTrusted(chain, auth);
      }
      @Override public void checkServerTrusted(X509Certificate[] chain, String auth,
          java.net.Socket socket) throws CertificateException {
        ca.checkServerTrusted(chain, auth);
      }
      @Override public void checkServerTrusted(X509Certificate[] chain, String auth)
          throws CertificateException {
        ca.checkServerTrusted(chain, auth);
      }
      @Override public void checkClientTrusted(X509Certificate[] chain, String auth,
          SSLEngine engine) {
        throw new UnsupportedOperationException();
      }
      @Override public void checkClientTrusted(X509Certificate[] chain, String auth,
          java.net.Socket socket) {
        throw new UnsupportedOperationException();
      }
      @Override public void checkClientTrusted(X509Certificate[] chain, String auth) {
        throw new UnsupportedOperationException();
      }
      @Override public X509Certificate[] getAcceptedIssuers() {
        return ca.getAcceptedIssuers();
      }
    };
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, new TrustManager[] {chainOnly}, null);
    java.net.http.HttpClient client = java.net.http.HttpClient.newBuilder().sslContext(context).build();
    for (String listener : List.of("https", "h1only")) {
      HttpResponse<String> r = client.send(HttpRequest.newBuilder(
              URI.create("https://127.0.0.1:" + gantry.port(listener) + "/v2/"))
              .timeout(Duration.ofSeconds(10)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(listener.equals("https") ? java.net.http.HttpClient.Version.HTTP_2
          : java.net.http.HttpClient.Version.HTTP_1_1, r.version(), listener);
    }
  }


  @Test
  void plainListenerRedirectsToHttps() {
    given().port(gantry.port("redirect")).header("Host", "registry.example.test").redirects().follow(false)
        .get("/v2/x?n=1").then().statusCode(301).header("Location", "https://registry.example.test:8443/v2/x?n=1");
    given().port(gantry.port("redirect")).header("Host", "registry.example.test").redirects().follow(false)
        .put("/v2/x").then().statusCode(308);
  }

  @Test
  void theAdminPortNeverReachesTheProxy() throws Exception {
    given().port(gantry.adminPort()).header("Host", "localhost").get("/v2/")
        .then().statusCode(404);
    given().port(gantry.adminPort()).header("Host", "registry.example.test").get("/repository/docker-group/v2/")
        .then().statusCode(404);
    assertNull(SEEN.poll(300, TimeUnit.MILLISECONDS), "a backend was reached through the admin port");
  }

  @Test
  void adminCountsProxiedRequestsPerRouteAndSpeaksPrometheus() throws Exception {
    int port = gantry.port("https");
    https(port, "b.example.test", "b.example.test", "GET", "/v2/");
    https(port, "b.example.test", "b.example.test", "GET", "/v2/");
    String json = given().port(gantry.adminPort()).get("/metrics").then().statusCode(200).extract().asString();
    assertTrue(json.contains("\"gantry.route.project-b.requests\":{\"count\":2"), json);
    String prometheus = given().port(gantry.adminPort()).get("/metrics/prometheus").then().statusCode(200).extract().asString();
    for (String line : prometheus.lines().toList()) {
      assertTrue(line.startsWith("#") || line.matches("[a-zA-Z_:][a-zA-Z0-9_:]*(\\{[^}]*\\})? [-+0-9.eE]+|.*(NaN|Inf)"), line);
    }
    assertTrue(prometheus.contains("gantry_route_project_b_requests_count 2"), prometheus);
    given().port(gantry.adminPort()).get("/routes").then().statusCode(200)
        .body(containsString("project-b: host(b.example.test) -> http://127.0.0.1:"));
    given().port(gantry.adminPort()).get("/ready").then().statusCode(200);
    String misdirected = given().port(gantry.adminPort()).get("/metrics").asString();
    assertTrue(misdirected.toLowerCase(Locale.ROOT).contains("gantry.listener.https.misdirected"), misdirected);
    assertTrue(misdirected.matches("(?s).*\"gantry.listener.https.tls-handshakes\":\\{\"count\":[1-9].*"), misdirected);
  }
}
