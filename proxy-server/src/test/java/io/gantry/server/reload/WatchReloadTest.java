package io.gantry.server.reload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.inject.Guice;
import io.gantry.server.GantryModule;
import io.gantry.server.GantryServer;
import io.gantry.server.config.ConfigLoader;
import io.gantry.server.testing.Backend;
import io.gantry.server.tls.TestPki;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code gantry.reload.watch}: a running gantry (real files, real server on port 0, real TLS
 * handshakes) reloads by itself when its configuration file or a certificate it names is replaced
 * (written in place, moved over atomically, or a Kubernetes {@code ..data} symlink swapped); an
 * invalid file is refused and reported; {@code watch = false} reloads nothing. Outcomes are polled
 * for, within {@link #BOUND}.
 */
class WatchReloadTest {
  /** Generous: the default debounce is 1 s, a reload takes milliseconds. */
  private static final Duration BOUND = Duration.ofSeconds(10);

  @TempDir
  Path dir;

  private Backend backend;
  private GantryServer gantry;
  private TestPki pki;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeEach
  void startBackend() throws Exception {
    backend = new Backend();
    pki = new TestPki(dir);
  }

  @AfterEach
  void stop() throws Exception {
    if (gantry != null) {
      gantry.stop();
    }
    backend.close();
  }

  /** A plain listener with the route {@code base} (/base/), a TLS listener, and what the test adds. */
  private String config(String cert, String key, String routes, String more) {
    return """
        gantry {
          listeners = [
            { name = plain, port = 0, host = 127.0.0.1, tls = false }
            { name = https, port = 0, host = 127.0.0.1 }
          ]
          tls { certificates = [ { cert = "%s", key = "%s" } ] }
          upstreams { backend = "http://127.0.0.1:%d/" }
          routes = [
            { name = base, listener = plain, path = /base/, to = backend }
            %s
          ]
          admin { host = 127.0.0.1, port = 0 }
          shutdown-grace = 1s
          %s
        }
        """.formatted(cert, key, backend.port(), routes, more);
  }

  private static final String ADDED = "{ name = added, listener = plain, path = /added/, to = backend }";

  private void start(Path conf) throws Exception {
    gantry = Guice.createInjector(new GantryModule(ConfigLoader.defaults().load(conf))).getInstance(GantryServer.class);
    gantry.start();
  }

  private int status(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gantry.port("plain") + path))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
  }

  private String admin(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gantry.adminPort() + path)).build(),
        HttpResponse.BodyHandlers.ofString()).body();
  }

  /** Polls until {@code condition} holds; returns the milliseconds it took. */
  private static long within(String what, Callable<Boolean> condition) throws Exception {
    long start = System.nanoTime();
    long deadline = start + BOUND.toNanos();
    while (!Boolean.TRUE.equals(condition.call())) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + BOUND.toSeconds() + " s: " + what);
      }
      Thread.sleep(25);
    }
    long took = (System.nanoTime() - start) / 1_000_000;
    System.out.println("watch reload: " + what + " after " + took + " ms");
    return took;
  }

  /** Writes a PEM chain and key for {@code san} into {@code into} as {@code name}.crt/.key. */
  private Path[] pem(Path into, String name, String san) throws Exception {
    Files.createDirectories(into);
    return new TestPki(into).writePem(name, pki.leaf(san, TestPki.Alg.EC), "pkcs8");
  }

  @Test
  void changedConfigFileAddsARoute() throws Exception {
    Path[] cert = pem(dir.resolve("tls"), "one", "one.example.test");
    Path conf = dir.resolve("gantry.conf");
    Files.writeString(conf, config(cert[0].toString(), cert[1].toString(), "", ""));
    start(conf);
    assertEquals(200, status("/base/x"));
    assertEquals(404, status("/added/x"));
    assertTrue(admin("/config").contains("\"watch\":{\"enabled\":true,\"debounce_ms\":1000"), admin("/config"));

    Files.writeString(conf, config(cert[0].toString(), cert[1].toString(), ADDED, "")); // edited in place
    within("the added route answers (config written in place, debounce 1 s)", () -> status("/added/x") == 200);
    assertEquals(200, status("/base/x"));
    String described = admin("/config");
    assertTrue(described.contains("\"result\":\"applied\"") && described.contains("route added: added"), described);
    assertTrue(described.contains("\"reloads_triggered\":1"), described);

    long watching = watchThreads();
    assertTrue(watching >= 1, "a watch thread runs");
    gantry.stop();
    gantry = null;
    within("the server's stop ends its watch thread", () -> watchThreads() == watching - 1);
  }

  private static long watchThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && t.getName().equals("gantry-reload-watch")).count();
  }

  @Test
  void aBusyNeighbourFileNeitherReloadsNorPostponesTheReload() throws Exception {
    Path[] cert = pem(dir.resolve("tls"), "one", "one.example.test");
    Path conf = dir.resolve("gantry.conf");
    Files.writeString(conf, config(cert[0].toString(), cert[1].toString(), "", "reload { debounce = 300ms }"));
    start(conf);
    Path log = dir.resolve("access.log"); // next to the config, written far more often than the debounce
    AtomicBoolean writing = new AtomicBoolean(true);
    Thread writer = new Thread(() -> {
      try {
        while (writing.get()) {
          Files.writeString(log, "line\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
          Thread.sleep(20);
        }
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    writer.start();
    try {
      Thread.sleep(1000);
      assertTrue(admin("/config").contains("\"last_reload\":null"), admin("/config"));
      Files.writeString(conf, config(cert[0].toString(), cert[1].toString(), ADDED, "reload { debounce = 300ms }"));
      within("the added route answers while a neighbour file is busy", () -> status("/added/x") == 200);
    } finally {
      writing.set(false);
      writer.join();
    }
  }

  @Test
  void certificateReplacedByAtomicMoveIsServedToNewHandshakes() throws Exception {
    Path certs = dir.resolve("certs");
    Path[] one = pem(certs, "tls", "one.example.test");
    Path conf = dir.resolve("gantry.conf");
    Files.writeString(conf, config(one[0].toString(), one[1].toString(), "", "reload { debounce = 300ms }"));
    start(conf);
    int https = gantry.port("https");
    assertEquals("one.example.test", san(https, "one.example.test"));

    Path[] two = pem(certs, ".tmp-renewed", "two.example.test"); // as certbot/cert-manager: temp, then rename
    Files.move(two[0], one[0], StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    Files.move(two[1], one[1], StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    within("new handshakes get the renewed certificate (atomic move, config unchanged)",
        () -> "two.example.test".equals(sanOrNothing(https, "two.example.test")));
    String described = admin("/config");
    assertTrue(described.contains("\"result\":\"applied\"") && described.contains("certificates: 1 loaded"), described);
    assertEquals(200, status("/base/x"));
  }

  @Test
  void kubernetesDataSymlinkSwapIsPickedUp() throws Exception {
    // what the kubelet does with a ConfigMap/Secret volume: files are links through ..data
    Path volume = Files.createDirectories(dir.resolve("volume"));
    Path first = volume.resolve("..2026_12_06_10_00_00.000000001");
    Path[] one = pem(first, "tls", "one.example.test");
    Files.writeString(first.resolve("gantry.conf"), config("tls.crt", "tls.key", "", "reload { debounce = 300ms }"));
    Files.createSymbolicLink(volume.resolve("..data"), first.getFileName());
    for (String name : List.of("gantry.conf", "tls.crt", "tls.key")) {
      Files.createSymbolicLink(volume.resolve(name), Path.of("..data", name));
    }
    assertTrue(Files.exists(one[0]));
    start(volume.resolve("gantry.conf"));
    int https = gantry.port("https");
    assertEquals("one.example.test", san(https, "one.example.test"));
    assertEquals(404, status("/added/x"));

    Path second = volume.resolve("..2026_12_06_10_05_00.000000002");
    pem(second, "tls", "two.example.test");
    Files.writeString(second.resolve("gantry.conf"), config("tls.crt", "tls.key", ADDED, "reload { debounce = 300ms }"));
    Path tmp = volume.resolve("..data_tmp");
    Files.createSymbolicLink(tmp, second.getFileName());
    Files.move(tmp, volume.resolve("..data"), StandardCopyOption.ATOMIC_MOVE); // rename(2) over the old link
    for (Path old : List.of(first.resolve("gantry.conf"), first.resolve("tls.crt"), first.resolve("tls.key"), first)) {
      Files.delete(old);
    }
    within("route and certificate of the swapped ..data are in effect", () -> status("/added/x") == 200
        && "two.example.test".equals(san(https, "two.example.test")));
    assertEquals(200, status("/base/x"));
  }

  @Test
  void invalidFileKeepsTheOldConfigAndIsReported() throws Exception {
    Path[] cert = pem(dir.resolve("tls"), "one", "one.example.test");
    Path conf = dir.resolve("gantry.conf");
    String valid = config(cert[0].toString(), cert[1].toString(), "", "reload { debounce = 300ms }");
    Files.writeString(conf, valid);
    start(conf);

    Files.writeString(conf, config(cert[0].toString(), cert[1].toString(),
        "{ name = broken, listener = plain, path = /added/, to = nowhere }", "reload { debounce = 300ms }"));
    within("the refused reload is reported in GET /config", () -> admin("/config").contains("\"result\":\"invalid\""));
    String described = admin("/config");
    assertTrue(described.contains("routes[1].to"), described);
    assertTrue(admin("/metrics").contains("gantry.config.reloads.failed\":{\"count\":1}"), admin("/metrics"));
    assertEquals(200, status("/base/x"), "the old configuration keeps serving");
    assertEquals(404, status("/added/x"));
    assertFalse(gantry.routes().toString().contains("broken"));

    Files.writeString(conf, config(cert[0].toString(), cert[1].toString(), ADDED, "reload { debounce = 300ms }"));
    within("a fixed file is applied", () -> status("/added/x") == 200);
  }

  @Test
  void watchFalseReloadsNothingUntilAReloadTurnsItOn() throws Exception {
    Path[] cert = pem(dir.resolve("tls"), "one", "one.example.test");
    Path conf = dir.resolve("gantry.conf");
    Files.writeString(conf, config(cert[0].toString(), cert[1].toString(), "", "reload { watch = false, debounce = 100ms }"));
    start(conf);
    assertTrue(admin("/config").contains("\"watch\":{\"enabled\":false}"), admin("/config"));

    Files.writeString(conf, config(cert[0].toString(), cert[1].toString(), ADDED, "reload { watch = false, debounce = 100ms }"));
    Thread.sleep(2000); // 20 debounce periods
    assertEquals(404, status("/added/x"), "watch = false: no reload");
    assertTrue(admin("/config").contains("\"last_reload\":null"), admin("/config"));

    // the setting applies live: a reload that turns it on starts the watch
    Files.writeString(conf, config(cert[0].toString(), cert[1].toString(), "", "reload { watch = true, debounce = 100ms }"));
    ReloadResult on = gantry.reloader().reload();
    assertTrue(on.applied() && on.changes().stream().anyMatch(c -> c.startsWith("reload: watch false")), on.toJson());
    Files.writeString(conf, config(cert[0].toString(), cert[1].toString(), ADDED, "reload { watch = true, debounce = 100ms }"));
    within("the watch turned on by a reload picks up the next change", () -> status("/added/x") == 200);
  }

  /** As {@link #san}, but null while the handshake is refused (the old certificate does not cover {@code sni}). */
  private String sanOrNothing(int port, String sni) throws Exception {
    try {
      return san(port, sni);
    } catch (javax.net.ssl.SSLException e) {
      return null;
    }
  }

  /** The first SAN of the certificate a new TLS handshake with {@code sni} gets. */
  private String san(int port, String sni) throws Exception {
    return pki.sanServedTo(port, sni, "/");
  }

}
