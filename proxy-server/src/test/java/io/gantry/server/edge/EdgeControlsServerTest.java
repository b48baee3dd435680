package io.gantry.server.edge;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.inject.Guice;
import io.gantry.server.GantryModule;
import io.gantry.server.GantryServer;
import io.gantry.server.config.ConfigLoader;
import io.gantry.server.config.GantryConfig;
import io.gantry.server.testing.Backend;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Edge controls as {@code bin/gantry run} wires them from a file: route allow-from and deny-paths
 * (403, the backend never contacted), admin allow-from and basic auth. The second client address
 * is 127.0.0.2 (a bound client socket).
 */
class EdgeControlsServerTest {
  @TempDir Path dir;

  private Backend backend;
  private GantryServer gantry;

  @BeforeEach
  void start() throws Exception {
    backend = new Backend();
    Path file = dir.resolve("gantry.conf");
    Files.writeString(file, """
        gantry {
          listeners = [ { name = plain, host = "127.0.0.1", port = 0, tls = false } ]
          upstreams { nexus = "%s" }
          defaults.route.deny-paths = ["/service/rest/v1/script", "/service/rest/internal/"]
          routes = [
            { name = office, host = office.example.com, to = nexus, allow-from = ["127.0.0.1"] }
            { name = public, to = nexus }
          ]
          admin {
            host = "127.0.0.1", port = 0, allow-from = ["127.0.0.1/32"]
            basic-auth { user = ops, password = "s3cret" }
          }
          access-log.path = "%s"
          shutdown-grace = 1s
        }
        """.formatted(backend.url(), dir.resolve("access.log")));
    GantryConfig config = ConfigLoader.defaults().load(file);
    gantry = Guice.createInjector(new GantryModule(config)).getInstance(GantryServer.class);
    gantry.start();
  }

  @AfterEach
  void stop() throws Exception {
    if (gantry != null) {
      gantry.stop();
    }
    backend.close();
  }

  private static String get(String from, int port, String target, String host, String authorization) throws IOException {
    try (Socket s = new Socket()) {
      s.bind(new InetSocketAddress(from, 0));
      s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
      s.setSoTimeout(5000);
      String head = "GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n"
          + (authorization == null ? "" : "Authorization: " + authorization + "\r\n") + "\r\n";
      s.getOutputStream().write(head.getBytes(StandardCharsets.ISO_8859_1));
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      s.getInputStream().transferTo(all);
      return all.toString(StandardCharsets.ISO_8859_1);
    }
  }

  @Test
  void routeRulesFromTheFile() throws Exception {
    int port = gantry.port("plain");
    assertTrue(get("127.0.0.1", port, "/x", "office.example.com", null).startsWith("HTTP/1.1 200"));
    assertNotNull(backend.seen().poll(5, TimeUnit.SECONDS));
    assertTrue(get("127.0.0.2", port, "/x", "office.example.com", null).startsWith("HTTP/1.1 403"));
    for (String target : new String[] {"/service/rest/v1/../v1/script", "/service/rest/v1/%2e/script",
        "//service/rest/internal//ui", "/service/rest/v1/script;x"}) {
      String r = get("127.0.0.1", port, target, "nexus.example.com", null);
      assertTrue(r.startsWith("HTTP/1.1 403"), target + ": " + r);
    }
    assertNull(backend.seen().poll(200, TimeUnit.MILLISECONDS), "no refused request reached the backend");
    assertTrue(get("127.0.0.1", port, "/service/rest/v1/status", "nexus.example.com", null).startsWith("HTTP/1.1 200"));
  }

  @Test
  void adminAllowListAndBasicAuth() throws Exception {
    int admin = gantry.adminPort();
    String auth = "Basic " + Base64.getEncoder().encodeToString("ops:s3cret".getBytes(StandardCharsets.UTF_8));
    assertTrue(get("127.0.0.1", admin, "/ping", "localhost", auth).startsWith("HTTP/1.1 200"));
    assertTrue(get("127.0.0.1", admin, "/ping", "localhost", null).startsWith("HTTP/1.1 401"));
    assertTrue(get("127.0.0.2", admin, "/ping", "localhost", auth).startsWith("HTTP/1.1 403"));
  }
}
