package io.gantry.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.codahale.metrics.Counting;
import com.codahale.metrics.MetricRegistry;
import com.google.inject.Guice;
import com.google.inject.Injector;
import io.gantry.server.config.ConfigLoader;
import io.gantry.server.config.GantryConfig;
import io.gantry.server.reload.ReloadRefusedException;
import io.gantry.server.testing.RawH2;
import io.gantry.server.tls.TestPki;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Edge controls through the real server (config file, Guice, GantryServer), with real sockets:
 * the PROXY protocol (v1 and v2, plain and TLS, required, restricted by peer), the request line and
 * header limits (414, 431, per listener) and the HTTP/2 limits (concurrent streams, rapid reset,
 * header list size, CONTINUATION flood), each followed by a request that still works.
 */
class EdgeControlsTest {
  private static final String HOST = "registry.example.test";

  @TempDir
  static Path dir;

  private static Server backend;
  private static ServerSocket blackhole;
  private static final BlockingQueue<String> SEEN = new LinkedBlockingQueue<>();
  private static GantryServer gantry;
  private static MetricRegistry metrics;
  private static Path conf;
  private static String confText;
  private static TrustManagerFactory trust;

  @BeforeAll
  static void start() throws Exception {
    backend = new Server();
    // Headers larger than gantry's limits, so that a 414 or 431 can only come from gantry.
    org.eclipse.jetty.server.HttpConfiguration http = new org.eclipse.jetty.server.HttpConfiguration();
    http.setRequestHeaderSize(256 * 1024);
    ServerConnector c = new ServerConnector(backend, new org.eclipse.jetty.server.HttpConnectionFactory(http));
    c.setHost("127.0.0.1");
    backend.addConnector(c);
    backend.setHandler(new Handler.Abstract() {
      @Override
      public boolean handle(Request request, Response response, Callback callback) {
        String seen = request.getHttpURI().getPath() + " xff=" + request.getHeaders().get("X-Forwarded-For")
            + " xri=" + request.getHeaders().get("X-Real-IP") + " fwd=" + request.getHeaders().get("Forwarded");
        SEEN.add(seen);
        Content.Sink.write(response, true, seen, callback);
        return true;
      }
    });
    backend.start();
    // An upstream that accepts connections (the kernel's backlog) and never answers: streams to it stay open.
    blackhole = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());

    TestPki pki = new TestPki(dir);
    Path[] pem = pki.writePem(HOST, pki.leaf(HOST, TestPki.Alg.EC), "pkcs8");
    conf = dir.resolve("gantry.conf");
    confText = """
        gantry {
          listeners = [
            { name = plain, port = 0, host = 127.0.0.1, tls = false }
            { name = small, port = 0, host = 127.0.0.1, tls = false, max-request-header-size = 8KiB }
            { name = lb, port = 0, host = 127.0.0.1, tls = false, proxy-protocol = true }
            { name = lbtls, port = 0, host = 127.0.0.1, http2 = true, proxy-protocol = true }
            { name = lbonly, port = 0, host = 127.0.0.1, tls = false, proxy-protocol = true, proxy-protocol-from = ["192.0.2.10"] }
            { name = h2, port = 0, host = 127.0.0.1, http2 = true, http2-max-concurrent-streams = 4
              http2-max-events-per-second = 20, max-request-header-size = 16KiB }
          ]
          tls { certificates = [ { cert = "%s", key = "%s" } ] }
          upstreams {
            app = "http://127.0.0.1:%d/"
            hang = "http://127.0.0.1:%d/"
          }
          routes = [
            { name = hang, path = /hang/, to = hang }
            { name = app, to = app }
          ]
          admin { host = 127.0.0.1, port = 0 }
          access-log { format = json, path = "%s" }
          shutdown-grace = 1s
        }
        """.formatted(pem[0].toString().replace("\\", "/"), pem[1].toString().replace("\\", "/"), c.getLocalPort(),
            blackhole.getLocalPort(), accessLog().toString().replace("\\", "/"));
    Files.writeString(conf, confText);
    GantryConfig config = ConfigLoader.defaults().load(conf);
    Injector injector = Guice.createInjector(new GantryModule(config));
    gantry = injector.getInstance(GantryServer.class);
    metrics = injector.getInstance(MetricRegistry.class);
    gantry.start();

    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    store.setCertificateEntry("ca", pki.caCert);
    trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(store);
  }

  @AfterAll
  static void stop() throws Exception {
    gantry.stop();
    backend.stop();
    blackhole.close();
  }

  @BeforeEach
  void clear() {
    SEEN.clear();
  }

  private static Path accessLog() {
    return dir.resolve("access.log");
  }

  private static SSLContext client() throws Exception {
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, trust.getTrustManagers(), null);
    return context;
  }

  // ---------------------------------------------------------------- PROXY protocol

  private static final String V1 = "PROXY TCP4 203.0.113.7 127.0.0.1 51000 8443\r\n";

  /** A PROXY protocol v2 header: PROXY command, TCP over IPv4, {@code source}:51001 to 127.0.0.1:8443. */
  private static byte[] v2(byte[] source) {
    ByteBuffer b = ByteBuffer.allocate(16 + 12);
    b.put(new byte[] {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A});
    b.put((byte) 0x21).put((byte) 0x11).putShort((short) 12);
    b.put(source).put(new byte[] {127, 0, 0, 1}).putShort((short) 51001).putShort((short) 8443);
    return b.array();
  }

  private static String request(String path) {
    return "GET " + path + " HTTP/1.1\r\nHost: " + HOST + "\r\nConnection: close\r\n\r\n";
  }

  /** Writes {@code prefix} then {@code request} on a plain connection; what came back, "" when closed unanswered. */
  private static String plain(int port, byte[] prefix, String request) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
      socket.setSoTimeout(10_000);
      try {
        socket.getOutputStream().write(prefix);
        socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
        socket.getOutputStream().flush();
      } catch (java.net.SocketException e) {
        // closed after the header, before the request was written: what it sent back (if anything) is the answer
      }
      return readAll(socket.getInputStream());
    }
  }

  /** The PROXY header on the raw socket, then TLS over it, then {@code request}. */
  private static String tls(int port, byte[] prefix, String request) throws Exception {
    try (Socket raw = new Socket()) {
      raw.connect(new InetSocketAddress("127.0.0.1", port), 5000);
      raw.setSoTimeout(10_000);
      raw.getOutputStream().write(prefix);
      raw.getOutputStream().flush();
      SSLSocket socket = (SSLSocket) client().getSocketFactory().createSocket(raw, HOST, port, true);
      SSLParameters params = socket.getSSLParameters();
      params.setServerNames(List.of(new SNIHostName(HOST)));
      socket.setSSLParameters(params);
      socket.startHandshake();
      socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      socket.getOutputStream().flush();
      return readAll(socket.getInputStream());
    }
  }

  private static String readAll(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      in.transferTo(out);
    } catch (java.net.SocketException e) {
      // a reset after a refusal: what came before it is the answer
    }
    return out.toString(StandardCharsets.ISO_8859_1);
  }

  /** The access log line holding {@code needle}, waiting for it: Jetty logs after the response is sent. */
  private static String accessLine(String needle) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (System.nanoTime() < deadline) {
      if (Files.exists(accessLog())) {
        for (String line : Files.readAllLines(accessLog())) {
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
  void proxyV1OnAPlainListenerGivesTheClientAddressToTheBackendAndTheLog() throws Exception {
    String answer = plain(gantry.port("lb"), V1.getBytes(StandardCharsets.US_ASCII), request("/v1-plain"));
    assertTrue(answer.startsWith("HTTP/1.1 200"), answer);
    String seen = SEEN.poll(5, TimeUnit.SECONDS);
    assertNotNull(seen);
    assertTrue(seen.startsWith("/v1-plain xff=203.0.113.7 xri=203.0.113.7 fwd=for=203.0.113.7;"), seen);
    assertTrue(accessLine("/v1-plain").contains("\"remote\":\"203.0.113.7\""), accessLine("/v1-plain"));
  }

  @Test
  void proxyV2OnAPlainListener() throws Exception {
    String answer = plain(gantry.port("lb"), v2(new byte[] {(byte) 203, 0, 113, 8}), request("/v2-plain"));
    assertTrue(answer.startsWith("HTTP/1.1 200"), answer);
    assertTrue(SEEN.poll(5, TimeUnit.SECONDS).startsWith("/v2-plain xff=203.0.113.8 "));
    assertTrue(accessLine("/v2-plain").contains("\"remote\":\"203.0.113.8\""), accessLine("/v2-plain"));
  }

  @Test
  void proxyV1AndV2BeforeTlsOnATlsListener() throws Exception {
    int port = gantry.port("lbtls");
    String answer = tls(port, V1.getBytes(StandardCharsets.US_ASCII), request("/v1-tls"));
    assertTrue(answer.startsWith("HTTP/1.1 200"), answer);
    assertTrue(SEEN.poll(5, TimeUnit.SECONDS).startsWith("/v1-tls xff=203.0.113.7 "));
    assertTrue(accessLine("/v1-tls").contains("\"remote\":\"203.0.113.7\""), accessLine("/v1-tls"));

    answer = tls(port, v2(new byte[] {(byte) 203, 0, 113, 9}), request("/v2-tls"));
    assertTrue(answer.startsWith("HTTP/1.1 200"), answer);
    assertTrue(SEEN.poll(5, TimeUnit.SECONDS).startsWith("/v2-tls xff=203.0.113.9 "));
    assertTrue(accessLine("/v2-tls").contains("\"remote\":\"203.0.113.9\""), accessLine("/v2-tls"));
  }

  @Test
  void aConnectionWithoutTheHeaderIsClosedBeforeAnyRoute() throws Exception {
    // Jetty's ProxyConnectionFactory alone would serve this request as if from 127.0.0.1.
    assertEquals("", plain(gantry.port("lb"), new byte[0], request("/no-header")));
    assertThrows(IOException.class, () -> tls(gantry.port("lbtls"), new byte[0], request("/no-header-tls")));
    // A forged header after a request line does not help either.
    assertEquals("", plain(gantry.port("lb"), request("/late").getBytes(StandardCharsets.US_ASCII), V1));
    assertNull(SEEN.poll(500, TimeUnit.MILLISECONDS));
    // The listener still serves connections that send it.
    assertTrue(plain(gantry.port("lb"), V1.getBytes(StandardCharsets.US_ASCII), request("/after")).startsWith("HTTP/1.1 200"));
  }

  @Test
  void aPeerOutsideProxyProtocolFromIsClosed() throws Exception {
    long before = count("gantry.listener.lbonly.proxy-protocol-refused");
    assertEquals("", plain(gantry.port("lbonly"), V1.getBytes(StandardCharsets.US_ASCII), request("/not-the-balancer")));
    assertNull(SEEN.poll(500, TimeUnit.MILLISECONDS));
    assertEquals(before + 1, count("gantry.listener.lbonly.proxy-protocol-refused"));
  }

  @Test
  void aListenerWithoutProxyProtocolTakesNoHeader() throws Exception {
    String answer = plain(gantry.port("plain"), V1.getBytes(StandardCharsets.US_ASCII), request("/plain"));
    assertTrue(answer.startsWith("HTTP/1.1 400"), answer);
    assertNull(SEEN.poll(200, TimeUnit.MILLISECONDS));
  }

  @Test
  void reloadChangingProxyProtocolOrLimitsOnAPortThatStaysNeedsARestart() throws Exception {
    for (String[] change : new String[][] {
        {"tls = false, proxy-protocol = true }", "tls = false }"},
        {"{ name = plain, port = 0, host = 127.0.0.1, tls = false }",
            "{ name = plain, port = 0, host = 127.0.0.1, tls = false, proxy-protocol = true }"},
        {"proxy-protocol-from = [\"192.0.2.10\"]", "proxy-protocol-from = [\"192.0.2.11\"]"},
        {"max-request-header-size = 8KiB", "max-request-header-size = 16KiB"},
        {"http2-max-concurrent-streams = 4", "http2-max-concurrent-streams = 8"}}) {
      String text = confText.replace(change[0], change[1]);
      assertFalse(text.equals(confText), change[0]);
      Path next = dir.resolve("next.conf");
      Files.writeString(next, text);
      GantryConfig config = ConfigLoader.defaults().load(next);
      ReloadRefusedException e = assertThrows(ReloadRefusedException.class, () -> gantry.apply(config), change[1]);
      assertEquals(ReloadRefusedException.Reason.NEEDS_RESTART, e.reason());
      assertTrue(e.problems().get(0).message().contains("proxy-protocol or its limits"), e.problems().toString());
    }
    // Still serving as before.
    assertTrue(plain(gantry.port("lb"), V1.getBytes(StandardCharsets.US_ASCII), request("/kept")).startsWith("HTTP/1.1 200"));
  }

  // ---------------------------------------------------------------- request line and header limits

  private static long count(String name) {
    return metrics.getMetrics().get(name) instanceof Counting c ? c.getCount() : 0;
  }

  @Test
  void aLongRequestLineIs414AndLongHeadersAre431WithAShortBody() throws Exception {
    // The default limit (32 KiB) lets registry tokens through: a 20 KiB URI is served.
    assertTrue(plain(gantry.port("plain"), new byte[0], request("/" + "a".repeat(20 * 1024))).startsWith("HTTP/1.1 200"));
    assertNotNull(SEEN.poll(5, TimeUnit.SECONDS));
    long uriTooLong = count("gantry.unrouted.refused.uri-too-long");
    long headersTooLarge = count("gantry.unrouted.refused.headers-too-large");

    String answer = plain(gantry.port("plain"), new byte[0], request("/" + "a".repeat(40 * 1024)));
    assertTrue(answer.startsWith("HTTP/1.1 414"), answer);
    assertTrue(answer.length() < 1024, answer);
    assertTrue(answer.contains("text/plain"), answer);

    StringBuilder headers = new StringBuilder();
    for (int i = 0; i < 64; i++) {
      headers.append("X-Filler-").append(i).append(": ").append("b".repeat(1000)).append("\r\n");
    }
    answer = plain(gantry.port("plain"), new byte[0],
        "GET /big-headers HTTP/1.1\r\nHost: " + HOST + "\r\n" + headers + "Connection: close\r\n\r\n");
    assertTrue(answer.startsWith("HTTP/1.1 431"), answer);
    assertTrue(answer.length() < 1024, answer);
    assertTrue(answer.contains("text/plain"), answer);
    assertNull(SEEN.poll(200, TimeUnit.MILLISECONDS));

    // On a listener with max-request-header-size = 8KiB, 20 KiB is too long.
    answer = plain(gantry.port("small"), new byte[0], request("/" + "a".repeat(20 * 1024)));
    assertTrue(answer.startsWith("HTTP/1.1 414"), answer);
    assertNull(SEEN.poll(200, TimeUnit.MILLISECONDS));

    assertEquals(uriTooLong + 2, count("gantry.unrouted.refused.uri-too-long"));
    assertEquals(headersTooLarge + 1, count("gantry.unrouted.refused.headers-too-large"));
  }

  @Test
  void theHeaderLimitIsPerListener() throws Exception {
    String tenKiB = "GET /ten HTTP/1.1\r\nHost: " + HOST + "\r\nX-Token: " + "t".repeat(10 * 1024) + "\r\nConnection: close\r\n\r\n";
    assertTrue(plain(gantry.port("plain"), new byte[0], tenKiB).startsWith("HTTP/1.1 200"));
    String answer = plain(gantry.port("small"), new byte[0], tenKiB);
    assertTrue(answer.startsWith("HTTP/1.1 431"), answer);
  }

  // ---------------------------------------------------------------- HTTP/2

  private static void assertStillServes(int port) throws Exception {
    try (RawH2 h2 = new RawH2(client(), HOST, port)) {
      h2.write(RawH2.headers(1, true, RawH2.get(HOST, "/healthy")));
      assertEquals(200, h2.status(1));
    }
  }

  @Test
  void moreStreamsThanAllowedAreRefused() throws Exception {
    int port = gantry.port("h2");
    try (RawH2 h2 = new RawH2(client(), HOST, port)) {
      ByteArrayOutputStream burst = new ByteArrayOutputStream();
      for (int i = 0; i < 5; i++) {
        burst.writeBytes(RawH2.headers(1 + 2 * i, true, RawH2.get(HOST, "/hang/" + i)));
      }
      h2.write(burst.toByteArray());
      RawH2.Frame refused = h2.await(f -> f.type() == RawH2.RST_STREAM || f.type() == RawH2.GOAWAY);
      assertNotNull(refused, "no RST_STREAM for the fifth stream");
      assertEquals(RawH2.RST_STREAM, refused.type(), refused.toString());
      assertEquals(9, refused.stream());
      assertEquals(RawH2.REFUSED_STREAM, refused.errorCode());
    }
    assertStillServes(port);
  }

  @Test
  void aRapidResetBurstGetsGoaway() throws Exception {
    int port = gantry.port("h2");
    try (RawH2 h2 = new RawH2(client(), HOST, port)) {
      ByteArrayOutputStream burst = new ByteArrayOutputStream();
      for (int i = 0; i < 500; i++) {
        int stream = 1 + 2 * i;
        burst.writeBytes(RawH2.headers(stream, true, RawH2.get(HOST, "/reset/" + i)));
        burst.writeBytes(RawH2.reset(stream, RawH2.CANCEL));
      }
      h2.write(burst.toByteArray());
      RawH2.Frame goaway = h2.await(f -> f.type() == RawH2.GOAWAY);
      assertNotNull(goaway, "no GOAWAY after 500 HEADERS + RST_STREAM");
      assertEquals(RawH2.ENHANCE_YOUR_CALM, goaway.errorCode());
      assertTrue(h2.awaitClosed(), "the connection stays open");
    }
    assertStillServes(port);
  }

  @Test
  void anOversizedHeaderListIsRefused() throws Exception {
    int port = gantry.port("h2");
    try (RawH2 h2 = new RawH2(client(), HOST, port)) {
      Map<String, String> fields = RawH2.get(HOST, "/oversized");
      fields.put("x-token", "t".repeat(12 * 1024));
      fields.put("x-token-2", "t".repeat(12 * 1024));
      byte[] block = RawH2.block(fields);
      // Within SETTINGS_MAX_FRAME_SIZE (16 KiB): HEADERS, then one CONTINUATION.
      int split = 16 * 1024;
      h2.write(RawH2.frame(RawH2.HEADERS, RawH2.END_STREAM, 1, java.util.Arrays.copyOfRange(block, 0, split)));
      h2.write(RawH2.frame(RawH2.CONTINUATION, RawH2.END_HEADERS, 1, java.util.Arrays.copyOfRange(block, split, block.length)));
      RawH2.Frame refused = h2.await(f -> f.type() == RawH2.GOAWAY || f.type() == RawH2.RST_STREAM
          || (f.type() == RawH2.HEADERS && f.stream() == 1));
      // Jetty 12.1.14 answers with GOAWAY PROTOCOL_ERROR (the whole connection); a 431 or
      // RST_STREAM would do as well.
      assertNotNull(refused, "the oversized header list was neither refused nor answered");
      if (refused.type() == RawH2.HEADERS) {
        assertEquals(431, new org.eclipse.jetty.http2.hpack.HpackDecoder(1 << 20, System::nanoTime)
            .decode(ByteBuffer.wrap(refused.payload())) instanceof org.eclipse.jetty.http.MetaData.Response r ? r.getStatus() : -1);
      }
    }
    assertNull(SEEN.poll(200, TimeUnit.MILLISECONDS), "the oversized request reached the backend");
    assertStillServes(port);
  }

  @Test
  void aContinuationFloodClosesTheConnection() throws Exception {
    int port = gantry.port("h2");
    try (RawH2 h2 = new RawH2(client(), HOST, port)) {
      // One header block without end: HEADERS, then 1 KiB CONTINUATION frames, 64 MiB if nothing stops them.
      Map<String, String> fields = RawH2.get(HOST, "/flood");
      h2.write(RawH2.frame(RawH2.HEADERS, RawH2.END_STREAM, 1, RawH2.block(fields)));
      byte[] chunk = RawH2.frame(RawH2.CONTINUATION, 0, 1, RawH2.block(Map.of("x-flood", "f".repeat(1000))));
      int sent = 0;
      while (sent < 64 * 1024 && h2.write(chunk)) {
        sent++;
      }
      assertTrue(sent < 64 * 1024, "the server read 64 MiB of one header block");
      assertNotNull(h2.await(f -> f.type() == RawH2.GOAWAY), "no GOAWAY");
      assertTrue(h2.awaitClosed(), "the connection stays open");
    }
    assertNull(SEEN.poll(200, TimeUnit.MILLISECONDS));
    assertStillServes(port);
  }
}
