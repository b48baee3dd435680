package io.gantry.dist;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The built tarball as a user runs it: unpack, {@code bin/gantry check}, {@code explain}, {@code
 * run}, request through it, SIGTERM. Backend: the JDK's own HTTP server.
 */
class DistributionIT {
  @TempDir
  static Path dir;
  private static Path home;
  private static HttpServer backend;
  private static final List<String> SEEN = new ArrayList<>();

  @BeforeAll
  static void unpack() throws Exception {
    Path tarball = Path.of(System.getProperty("gantry.tarball"));
    assertTrue(Files.isRegularFile(tarball), "no distribution at " + tarball);
    assertEquals(0, new ProcessBuilder("tar", "xzf", tarball.toString(), "-C", dir.toString()).inheritIO().start().waitFor());
    try (var entries = Files.list(dir)) {
      home = entries.filter(p -> p.getFileName().toString().startsWith("gantry-")).findFirst().orElseThrow();
    }
    backend = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    backend.createContext("/", exchange -> {
      synchronized (SEEN) {
        SEEN.add(exchange.getRequestMethod() + " " + exchange.getRequestURI() + " host=" + exchange.getRequestHeaders().getFirst("Host"));
      }
      byte[] body = "from backend".getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    backend.start();
  }

  @AfterAll
  static void stopBackend() {
    backend.stop(0);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static Process gantry(Path log, String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(home.resolve("bin/gantry").toString());
    command.addAll(List.of(args));
    return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  @Test
  void theDistributionHasItsParts() {
    for (String part : List.of("bin/gantry", "conf/gantry.conf", "lib", "systemd/gantry.service", "README.md", "LICENSE")) {
      assertTrue(Files.exists(home.resolve(part)), part);
    }
    assertTrue(Files.isExecutable(home.resolve("bin/gantry")));
  }

  @Test
  void runProxiesByHostAndMethodAndStopsOnSigterm() throws Exception {
    int http = freePort();
    int https = freePort();
    String upstream = "http://127.0.0.1:" + backend.getAddress().getPort();
    Path conf = dir.resolve("it.conf");
    Files.writeString(conf, """
        gantry {
          listeners = [
            { name = https, port = %d, host = 127.0.0.1 }
            { name = plain, port = %d, host = 127.0.0.1, tls = false }
          ]
          tls.self-signed { hosts = [localhost], dir = tls }
          upstreams { group = "%s/repository/docker-group/", hosted = "%s/repository/docker-hosted/" }
          routes = [
            { host = localhost, method = [GET, HEAD], to = group }
            { host = localhost, to = hosted }
          ]
          admin.enabled = false
          shutdown-grace = 2s
        }
        """.formatted(https, http, upstream, upstream));
    Path checkLog = dir.resolve("check.log");
    assertEquals(0, gantry(checkLog, "check", conf.toString()).waitFor(), Files.readString(checkLog));
    Path explainLog = dir.resolve("explain.log");
    assertEquals(0, gantry(explainLog, "explain", conf.toString(), "https://localhost:" + https + "/v2/x", "-X", "PUT").waitFor());
    assertTrue(Files.readString(explainLog).contains("-> " + upstream + "/repository/docker-hosted/v2/x"), Files.readString(explainLog));

    Path log = dir.resolve("run.log");
    Process server = gantry(log, "run", conf.toString());
    try {
      awaitPort(http, server, log);
      awaitPort(https, server, log);
      given().port(http).header("Host", "localhost").get("/v2/").then().statusCode(200);
      given().port(http).header("Host", "localhost").put("/v2/x/manifests/1").then().statusCode(200);
      given().relaxedHTTPSValidation().baseUri("https://localhost").port(https).get("/v2/tls").then().statusCode(200);
      synchronized (SEEN) {
        assertTrue(SEEN.contains("GET /repository/docker-group/v2/ host=localhost"), SEEN.toString());
        assertTrue(SEEN.contains("PUT /repository/docker-hosted/v2/x/manifests/1 host=localhost"), SEEN.toString());
        assertTrue(SEEN.contains("GET /repository/docker-group/v2/tls host=localhost:" + https), SEEN.toString());
      }
      String startup = Files.readString(log);
      assertTrue(startup.contains("listener https on https://127.0.0.1:" + https), startup);
      assertTrue(startup.contains("gantry started in"), startup);
      assertTrue(Files.exists(dir.resolve("tls/selfsigned.crt")), "self-signed certificate kept next to the config");
      Runtime.Version jdk = Runtime.version();
      Path cmdline = Path.of("/proc/" + server.pid() + "/cmdline");
      if (Files.exists(cmdline) && (jdk.feature() >= 22 || jdk.feature() == 21 && jdk.update() >= 1
          || jdk.feature() == 17 && jdk.update() >= 9)) {
        // bin/gantry execs the JVM, so the process is the JVM: glibc is trimmed where the JDK can.
        assertTrue(Files.readString(cmdline).contains("-XX:TrimNativeHeapInterval=1000"), Files.readString(cmdline));
      }
    } finally {
      server.destroy(); // SIGTERM
      assertTrue(server.waitFor(20, TimeUnit.SECONDS), "gantry did not stop on SIGTERM");
    }
  }

  @Test
  void theCdsArchiveIsWrittenByAPlainRunButNeverByOneWithAFlightRecording() throws Exception {
    int port = freePort();
    Path conf = dir.resolve("cds.conf");
    Files.writeString(conf, """
        gantry {
          listeners = [ { name = plain, port = %d, host = 127.0.0.1, tls = false } ]
          upstreams { b = "http://127.0.0.1:%d/" }
          routes = [ { to = b } ]
          admin.enabled = false
          shutdown-grace = 1s
        }
        """.formatted(port, backend.getAddress().getPort()));
    Path recorded = Files.createDirectories(dir.resolve("cds-jfr"));
    runOnce(conf, port, recorded, "-XX:StartFlightRecording=filename=" + dir.resolve("x.jfr"));
    try (var files = Files.list(recorded)) {
      assertEquals(List.of(), files.filter(f -> f.toString().endsWith(".jsa")).toList(),
          "an archive dumped with JFR's instrumented classes made every later run 10x slower");
    }
    Path plain = Files.createDirectories(dir.resolve("cds-plain"));
    runOnce(conf, port, plain, "");
    try (var files = Files.list(plain)) {
      assertEquals(1, files.filter(f -> f.toString().endsWith(".jsa")).count(), "the first plain run writes the archive");
    }
  }

  @Test
  void prepareWritesTheArchiveBeforeTheFirstRunAndThenDoesNothing() throws Exception {
    Path cds = Files.createDirectories(dir.resolve("cds-prepared"));
    Path log = dir.resolve("prepare.log");
    ProcessBuilder builder = new ProcessBuilder(home.resolve("bin/gantry").toString(), "prepare")
        .redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().put("GANTRY_CDS_DIR", cds.toString());
    Process prepare = builder.start();
    assertTrue(prepare.waitFor(120, TimeUnit.SECONDS), "prepare did not end");
    assertEquals(0, prepare.exitValue(), Files.readString(log));
    try (var files = Files.list(cds)) {
      assertEquals(1, files.filter(f -> f.toString().endsWith(".jsa")).count(), Files.readString(log));
    }
    Process again = builder.redirectOutput(dir.resolve("prepare-again.log").toFile()).start();
    assertTrue(again.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, again.exitValue());
    assertTrue(Files.readString(dir.resolve("prepare-again.log")).contains("exists; nothing to do"));
  }

  private static void runOnce(Path conf, int port, Path cdsDir, String javaOpts) throws Exception {
    Path log = dir.resolve("cds-" + cdsDir.getFileName() + ".log");
    ProcessBuilder builder = new ProcessBuilder(home.resolve("bin/gantry").toString(), "run", conf.toString())
        .redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().put("GANTRY_CDS_DIR", cdsDir.toString());
    builder.environment().put("GANTRY_JAVA_OPTS", javaOpts);
    Process server = builder.start();
    try {
      awaitPort(port, server, log);
      given().port(port).get("/").then().statusCode(200);
    } finally {
      server.destroy(); // SIGTERM: the JVM exits normally, which is when JDK 17 writes the archive
      assertTrue(server.waitFor(20, TimeUnit.SECONDS), "gantry did not stop on SIGTERM");
    }
  }

  /**
   * The start-up levers of docs/performance.md stay pulled: a run with PEM files from {@code
   * openssl req} and an http upstream starts both listeners without loading BouncyCastle (signed
   * jars: verified on first use, never archived; the handshakes' ECDSA and X25519 load it after the start), Java 5 bytecode (never archived), JMX, Guice's
   * class generation or the JDK trust store.
   */
  @Test
  void aStartWithPlainPemFilesLoadsOnlyWhatItNeeds() throws Exception {
    Path tls = Files.createDirectories(dir.resolve("lean"));
    Path p12 = tls.resolve("server.p12");
    String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
    Process gen = new ProcessBuilder(keytool, "-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1",
        "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12",
        "-keystore", p12.toString(), "-storepass", "changeit").redirectErrorStream(true).start();
    assertEquals(0, gen.waitFor(), new String(gen.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (var in = Files.newInputStream(p12)) {
      store.load(in, "changeit".toCharArray());
    }
    Base64.Encoder pem = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));
    Files.writeString(tls.resolve("cert.pem"), "-----BEGIN CERTIFICATE-----\n"
        + pem.encodeToString(store.getCertificate("server").getEncoded()) + "\n-----END CERTIFICATE-----\n");
    Files.writeString(tls.resolve("key.pem"), "-----BEGIN PRIVATE KEY-----\n"
        + pem.encodeToString(store.getKey("server", "changeit".toCharArray()).getEncoded()) + "\n-----END PRIVATE KEY-----\n");

    int http = freePort();
    int https = freePort();
    Path conf = tls.resolve("lean.conf");
    Files.writeString(conf, """
        gantry {
          listeners = [
            { name = plain, port = %d, host = 127.0.0.1, tls = false }
            { name = tls, port = %d, host = 127.0.0.1 }
          ]
          tls.certificates = [ { cert = cert.pem, key = key.pem } ]
          upstreams { b = "http://127.0.0.1:%d/" }
          routes = [ { to = b } ]
          admin.enabled = false
          shutdown-grace = 1s
        }
        """.formatted(http, https, backend.getAddress().getPort()));
    Path log = tls.resolve("run.log");
    ProcessBuilder builder = new ProcessBuilder(home.resolve("bin/gantry").toString(), "run", conf.toString())
        .redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().put("GANTRY_CDS", "off");
    builder.environment().put("GANTRY_JAVA_OPTS", "-verbose:class");
    Process server = builder.start();
    List<String> loaded;
    try {
      awaitPort(http, server, log);
      awaitPort(https, server, log);
      given().port(http).get("/lean").then().statusCode(200);
      // Read before any TLS handshake: the JDK loads its trust store at the first one, for the server side.
      // Only what the start loaded counts: BouncyCastle's handshake crypto is loaded after it, on purpose.
      loaded = Files.readAllLines(log).stream().takeWhile(l -> !l.contains("gantry started in"))
          .filter(l -> l.contains("class,load")).toList();
      given().relaxedHTTPSValidation().baseUri("https://localhost").port(https).get("/lean-tls").then().statusCode(200);
      String prepared = "TLS handshakes from now on: ECDSA signatures and X25519 by BouncyCastle";
      for (int i = 0; i < 200 && !Files.readString(log).contains(prepared); i++) {
        Thread.sleep(50);
      }
      assertTrue(Files.readString(log).contains(prepared), "after the start: " + prepared);
      given().relaxedHTTPSValidation().baseUri("https://localhost").port(https).get("/lean-tls").then().statusCode(200);
    } finally {
      server.destroy();
      assertTrue(server.waitFor(20, TimeUnit.SECONDS), "gantry did not stop on SIGTERM");
    }
    assertTrue(loaded.size() > 1000 && loaded.stream().anyMatch(l -> l.contains("io.gantry.server.tls.PlainPem ")),
        "no class loading log: " + loaded.size() + " lines");
    for (String avoided : List.of("org.bouncycastle.", "picocli.", "java.lang.management.ManagementFactory ",
        "com.google.inject.internal.asm.", "sun.security.validator.TrustStoreUtil ")) {
      assertEquals(List.of(), loaded.stream().filter(l -> l.contains(avoided)).limit(3).toList(), avoided);
    }
  }

  @Test
  void runRefusesAnInvalidConfigWithFileLineAndKey() throws Exception {
    Path conf = dir.resolve("bad.conf");
    Files.writeString(conf, "gantry {\n  listeners = [ { name = x, port = 70000, tls = false } ]\n}\n");
    Path log = dir.resolve("bad.log");
    int code = gantry(log, "run", conf.toString()).waitFor();
    assertEquals(2, code);
    assertTrue(Files.readString(log).contains("bad.conf:2: gantry.listeners[0].port"), Files.readString(log));
  }

  private static void awaitPort(int port, Process server, Path log) throws Exception {
    for (int i = 0; i < 300; i++) {
      if (!server.isAlive()) {
        throw new AssertionError("gantry exited: " + Files.readString(log));
      }
      try (Socket s = new Socket("127.0.0.1", port)) {
        return;
      } catch (IOException notYet) {
        Thread.sleep(100);
      }
    }
    throw new AssertionError("port " + port + " not open after 30 s: " + Files.readString(log));
  }
}
