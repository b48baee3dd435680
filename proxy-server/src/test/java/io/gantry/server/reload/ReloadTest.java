package io.gantry.server.reload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.inject.Guice;
import io.gantry.server.GantryModule;
import io.gantry.server.GantryServer;
import io.gantry.server.config.ConfigLoader;
import io.gantry.server.config.GantryConfig;
import io.gantry.server.testing.Await;
import io.gantry.server.tls.TestPki;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hot reload of a running gantry (config file, Guice, GantryServer) against a real backend: routes,
 * listeners and certificates switch; refused reloads leave the running configuration serving; an
 * upload in flight and concurrent requests never notice.
 */
class ReloadTest {
  private static final long UPLOAD = 64L << 20;

  @TempDir
  Path dir;

  private Server backend;
  private ServerConnector backendConnector;
  private GantryServer gantry;
  private Path conf;
  private TestPki pki;
  private String registryCert;
  private String extraCert;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeEach
  void start() throws Exception {
    backend = new Server();
    backendConnector = new ServerConnector(backend);
    backendConnector.setHost("127.0.0.1");
    backend.addConnector(backendConnector);
    backend.setHandler(new Handler.Abstract() {
      @Override
      public boolean handle(Request request, Response response, Callback callback) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        long bytes = 0;
        try (InputStream in = Content.Source.asInputStream(request)) {
          byte[] buffer = new byte[64 * 1024];
          for (int n; (n = in.read(buffer)) > 0; bytes += n) {
            sha.update(buffer, 0, n);
          }
        }
        Content.Sink.write(response, true, "backend " + request.getHttpURI().getPath() + " bytes=" + bytes
            + " sha256=" + HexFormat.of().formatHex(sha.digest()), callback);
        return true;
      }
    });
    backend.start();

    pki = new TestPki(dir);
    Path[] registry = pki.writePem("registry", pki.leaf("registry.example.test", TestPki.Alg.EC), "pkcs8");
    Path[] extra = pki.writePem("extra", pki.leaf("extra.example.test", TestPki.Alg.EC), "pkcs8");
    registryCert = "{ cert = \"" + registry[0] + "\", key = \"" + registry[1] + "\" }";
    extraCert = "{ cert = \"" + extra[0] + "\", key = \"" + extra[1] + "\" }";

    conf = dir.resolve("gantry.conf");
    write("", "", "");
    GantryConfig config = ConfigLoader.defaults().load(conf);
    gantry = Guice.createInjector(new GantryModule(config)).getInstance(GantryServer.class);
    gantry.start();
  }

  @AfterEach
  void stop() throws Exception {
    gantry.stop();
    backend.stop();
  }

  /** The base configuration: a plain listener and a TLS one, both kept, plus what a test adds. */
  private void write(String listeners, String routes, String certificates) throws IOException {
    write(listeners, routes, certificates, "");
  }

  private void write(String listeners, String routes, String certificates, String more) throws IOException {
    Files.writeString(conf, """
        gantry {
          listeners = [
            { name = plain, port = 0, host = 127.0.0.1, tls = false }
            { name = https, port = 0, host = 127.0.0.1 }
            %s
          ]
          tls { certificates = [ %s ] }
          upstreams { backend = "http://127.0.0.1:%d/repository/one/" }
          routes = [
            { name = plain, listener = plain, to = backend }
            { name = registry, host = registry.example.test, listener = https, to = backend }
            %s
          ]
          admin { host = 127.0.0.1, port = 0 }
          shutdown-grace = 2s
          %s
        }
        """.formatted(listeners, registryCert + (certificates.isEmpty() ? "" : ", " + certificates),
        backendConnector.getLocalPort(), routes, more));
  }

  private HttpResponse<String> get(int port, String host, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .header("X-Test-Host", host).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private ReloadResult reload() {
    return gantry.reloader().reload();
  }

  @Test
  void reloadAddsRouteAndListenerAndRemovesListener() throws Exception {
    write("{ name = extra, port = 0, host = 127.0.0.1, tls = false }",
        "{ name = extra, listener = extra, to = backend }", "");
    ReloadResult added = reload();
    assertTrue(added.applied(), added.toJson());
    assertTrue(added.changes().contains("route added: extra"), added.toJson());
    int extraPort = gantry.port("extra");
    assertEquals(200, get(extraPort, "x", "/v2/").statusCode());
    assertTrue(get(extraPort, "x", "/v2/").body().startsWith("backend /repository/one/v2/"));
    assertTrue(gantry.routes().toString().contains("extra"));
    assertEquals(200, get(gantry.port("plain"), "x", "/v2/").statusCode());

    write("", "", "");
    ReloadResult removed = reload();
    assertTrue(removed.applied(), removed.toJson());
    assertTrue(removed.changes().stream().anyMatch(c -> c.startsWith("listener removed: extra")), removed.toJson());
    Await.until("port " + extraPort + " refuses connections", () -> refuses(extraPort));
    assertEquals(200, get(gantry.port("plain"), "x", "/v2/").statusCode());
  }

  @Test
  void reloadThatAddsManyListenersAndUpstreamsSizesThePoolForTheirThreads() throws Exception {
    // Each listener leases an acceptor and a selector from the server's pool, each upstream client
    // a selector: more than the pool sized at start for three listeners and one upstream can lend.
    int added = 16;
    StringBuilder listeners = new StringBuilder();
    StringBuilder routes = new StringBuilder();
    StringBuilder upstreams = new StringBuilder("upstreams {\n");
    for (int i = 0; i < added; i++) {
      listeners.append("{ name = extra").append(i).append(", port = 0, host = 127.0.0.1, tls = false }\n");
      routes.append("{ name = extra").append(i).append(", listener = extra").append(i).append(", to = up").append(i)
          .append(" }\n");
      upstreams.append("    up").append(i).append(" { url = \"http://127.0.0.1:").append(backendConnector.getLocalPort())
          .append("/repository/").append(i).append("/\", connect-timeout = ").append(1000 + i).append("ms }\n");
    }
    int before = gantry.maxThreads();
    write(listeners.toString(), routes.toString(), "", upstreams.append("  }").toString());
    ReloadResult result = reload();
    assertTrue(result.applied(), result.toJson());
    assertTrue(gantry.maxThreads() >= before + 2 * added, before + " -> " + gantry.maxThreads() + " threads at most");
    for (int i = 0; i < added; i++) {
      HttpResponse<String> response = get(gantry.port("extra" + i), "x", "/v2/");
      assertEquals(200, response.statusCode(), "extra" + i);
      assertTrue(response.body().startsWith("backend /repository/" + i + "/v2/"), response.body());
    }
    assertEquals(200, get(gantry.port("plain"), "x", "/v2/").statusCode());

    // A reload that adds a route but no listener and no upstream client leaves the pool as it was.
    int sized = gantry.maxThreads();
    write(listeners.toString(), "{ name = again, host = again.test, listener = extra0, to = up0 }\n" + routes, "",
        upstreams.toString());
    ReloadResult again = reload();
    assertTrue(again.applied() && again.changes().contains("route added: again"), again.toJson());
    assertEquals(sized, gantry.maxThreads(), "threads at most after a reload that leases nothing more");
  }

  private static boolean refuses(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
      return false;
    } catch (ConnectException e) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  @Test
  void reloadSwapsCertificatesForNewHandshakes() throws Exception {
    int https = gantry.port("https");
    assertEquals("registry.example.test", san(https, "extra.example.test"), "no certificate of its own yet");
    write("", "{ name = extra, host = extra.example.test, listener = https, to = backend }", extraCert);
    ReloadResult result = reload();
    assertTrue(result.applied(), result.toJson());
    assertEquals("extra.example.test", san(https, "extra.example.test"));
    assertEquals("registry.example.test", san(https, "registry.example.test"));
  }

  @Test
  void invalidConfigIsRefusedAndTheOldOneKeepsServing() throws Exception {
    write("", "{ name = broken, listener = plain, to = nowhere }", "");
    ReloadResult result = reload();
    assertEquals(ReloadResult.Outcome.INVALID, result.outcome());
    assertTrue(result.problems().stream().anyMatch(p -> p.contains("gantry.conf:") && p.contains("routes[2].to")),
        result.toJson());
    assertFalse(gantry.routes().toString().contains("broken"));
    assertEquals(200, get(gantry.port("plain"), "x", "/v2/").statusCode());
    assertTrue(gantry.reloader().describe().contains("\"result\":\"invalid\""));
  }

  @Test
  void portAlreadyTakenIsRefusedAndNothingSwitches() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 50, java.net.InetAddress.getByName("127.0.0.1"))) {
      write("{ name = taken, port = " + taken.getLocalPort() + ", host = 127.0.0.1, tls = false }",
          "{ name = taken, listener = taken, to = backend }", extraCert);
      ReloadResult result = reload();
      assertEquals(ReloadResult.Outcome.INVALID, result.outcome());
      assertTrue(result.problems().stream().anyMatch(p -> p.contains("gantry.listeners[2]")
          && p.contains("port " + taken.getLocalPort())), result.toJson());
    }
    assertFalse(gantry.routes().toString().contains("taken"));
    assertEquals("registry.example.test", san(gantry.port("https"), "extra.example.test"), "certificates untouched");
    assertEquals(200, get(gantry.port("plain"), "x", "/v2/").statusCode());
  }

  @Test
  void changesThatNeedARestartAreRefused() throws Exception {
    write("", "", "", "engine = servlet\n  max-threads = 77");
    ReloadResult result = reload();
    assertEquals(ReloadResult.Outcome.NEEDS_RESTART, result.outcome());
    assertTrue(result.problems().stream().anyMatch(p -> p.matches(".*gantry.conf:\\d+: gantry.engine: .*needs a restart.*")),
        result.toJson());
    assertTrue(result.problems().stream().anyMatch(p -> p.contains("gantry.max-threads")), result.toJson());
    assertEquals(200, get(gantry.port("plain"), "x", "/v2/").statusCode());
  }

  @Test
  void adminEndpointReloadsAndDescribes() throws Exception {
    String admin = "http://127.0.0.1:" + gantry.adminPort();
    write("", "{ name = extra, host = extra.example.test, listener = plain, to = backend }", "");
    HttpResponse<String> ok = http.send(HttpRequest.newBuilder(URI.create(admin + "/config/reload"))
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, ok.statusCode(), ok.body());
    assertTrue(ok.body().contains("\"result\":\"applied\""), ok.body());
    String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(conf)));
    HttpResponse<String> described = http.send(HttpRequest.newBuilder(URI.create(admin + "/config")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, described.statusCode());
    assertTrue(described.body().contains("\"sha256\":\"" + sha + "\""), described.body());

    write("", "{ name = broken, listener = plain, to = nowhere }", "");
    HttpResponse<String> refused = http.send(HttpRequest.newBuilder(URI.create(admin + "/config/reload"))
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(422, refused.statusCode(), refused.body());
    assertTrue(refused.body().contains("routes[2].to"), refused.body());
    assertEquals(200, http.send(HttpRequest.newBuilder(URI.create(admin + "/ready")).build(),
        HttpResponse.BodyHandlers.ofString()).statusCode());
    String metrics = http.send(HttpRequest.newBuilder(URI.create(admin + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    assertTrue(metrics.contains("gantry.config.reloads.succeeded\":{\"count\":1}"), metrics);
    assertTrue(metrics.contains("gantry.config.reloads.failed\":{\"count\":1}"), metrics);
  }

  @Test
  void uploadInFlightSpanningReloadsArrivesByteIdentical() throws Exception {
    CompletableFuture<HttpResponse<String>> upload = upload(gantry.port("plain"), 7);
    Await.until("upload under way", () -> !upload.isDone());
    Thread.sleep(300);
    write("{ name = extra, port = 0, host = 127.0.0.1, tls = false }",
        "{ name = extra, listener = extra, to = backend }", extraCert);
    assertTrue(reload().applied());
    write("", "", "");
    assertTrue(reload().applied());
    assertFalse(upload.isDone(), "the upload is paced to outlast the reloads");
    HttpResponse<String> response = upload.get(120, TimeUnit.SECONDS);
    assertEquals(200, response.statusCode(), response.body());
    assertEquals("backend /repository/one/upload bytes=" + UPLOAD + " sha256=" + expectedSha(7), response.body());
  }

  @Test
  void noRequestFailsUnderLoadAcross20Reloads() throws Exception {
    int port = gantry.port("plain");
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger requests = new AtomicInteger();
    AtomicReference<String> failure = new AtomicReference<>();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    List<Future<?>> loops = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      loops.add(pool.submit(() -> {
        while (running.get()) {
          try {
            HttpResponse<String> r = get(port, "x", "/v2/small");
            if (r.statusCode() != 200) {
              failure.compareAndSet(null, "status " + r.statusCode() + ": " + r.body());
            }
            requests.incrementAndGet();
          } catch (Exception e) {
            failure.compareAndSet(null, e.toString());
          }
        }
        return null;
      }));
    }
    CompletableFuture<HttpResponse<String>> upload = upload(port, 11);
    try {
      for (int i = 0; i < 20; i++) {
        if (i % 2 == 0) {
          write("{ name = extra, port = 0, host = 127.0.0.1, tls = false }",
              "{ name = extra, listener = extra, to = backend }", extraCert);
        } else {
          write("", "", "");
        }
        ReloadResult result = reload();
        assertTrue(result.applied(), result.toJson());
        Thread.sleep(50);
      }
    } finally {
      running.set(false);
      for (Future<?> loop : loops) {
        loop.get(60, TimeUnit.SECONDS);
      }
      pool.shutdownNow();
    }
    HttpResponse<String> response = upload.get(120, TimeUnit.SECONDS);
    assertEquals("backend /repository/one/upload bytes=" + UPLOAD + " sha256=" + expectedSha(11), response.body());
    assertEquals(null, failure.get(), "after " + requests.get() + " requests");
    assertTrue(requests.get() > 20, "requests: " + requests.get());
  }

  /** A 64 MiB PUT whose body is paced (about 16 MiB/s), bytes derived from {@code seed}. */
  private CompletableFuture<HttpResponse<String>> upload(int port, int seed) {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/upload"))
        .timeout(Duration.ofMinutes(2))
        .PUT(HttpRequest.BodyPublishers.fromPublisher(
            HttpRequest.BodyPublishers.ofInputStream(() -> new PacedBody(seed)), UPLOAD))
        .build();
    return http.sendAsync(request, HttpResponse.BodyHandlers.ofString());
  }

  private static String expectedSha(int seed) throws Exception {
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    byte[] chunk = chunk(seed);
    for (long sent = 0; sent < UPLOAD; sent += chunk.length) {
      sha.update(chunk);
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  private static byte[] chunk(int seed) {
    byte[] chunk = new byte[1 << 20];
    for (int i = 0; i < chunk.length; i++) {
      chunk[i] = (byte) (i * 31 + seed + (i >> 12));
    }
    return chunk;
  }

  /** 64 one-MiB chunks, one every ~60 ms. */
  private static final class PacedBody extends InputStream {
    private final byte[] chunk;
    private long position;

    PacedBody(int seed) {
      this.chunk = chunk(seed);
    }

    @Override
    public int read() {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (position >= UPLOAD) {
        return -1;
      }
      int inChunk = (int) (position % chunk.length);
      if (inChunk == 0 && position > 0) {
        try {
          Thread.sleep(60);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      int n = Math.min(len, chunk.length - inChunk);
      System.arraycopy(chunk, inChunk, b, off, n);
      position += n;
      return n;
    }
  }

  /** The first SAN of the certificate a new TLS handshake with {@code sni} gets. */
  private String san(int port, String sni) throws Exception {
    return pki.sanServedTo(port, sni, "/v2/");
  }

}
