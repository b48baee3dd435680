package io.gantry.server.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.health.HealthCheckRegistry;
import io.gantry.proxy.address.AddressRanges;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.eclipse.jetty.server.Server;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The admin endpoint's allow-list and basic auth, on a real connector; a second client address is
 * simulated by binding the client socket to 127.0.0.2.
 */
class AdminGuardTest {
  private Server server;
  private AdminServer admin;

  @AfterEach
  void stop() throws Exception {
    server.stop();
  }

  private void start(AddressRanges allowFrom, String user, String password) throws Exception {
    server = new Server();
    AdminServer.Builder b = AdminServer.builder(new MetricRegistry(), new HealthCheckRegistry())
        .host("127.0.0.1").port(0).jvmMetrics(false).routes(() -> "the routes").allowFrom(allowFrom);
    if (user != null) {
      b.basicAuth(user, password);
    }
    admin = b.install(server);
    server.start();
  }

  /** Status line and body of GET {@code path} from local address {@code from}. */
  private String get(String from, String path, String authorization) throws IOException {
    try (Socket s = new Socket()) {
      s.bind(new InetSocketAddress(from, 0));
      s.connect(new InetSocketAddress("127.0.0.1", admin.connector().getLocalPort()), 5000);
      s.setSoTimeout(5000);
      String head = "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
          + (authorization == null ? "" : "Authorization: " + authorization + "\r\n") + "\r\n";
      s.getOutputStream().write(head.getBytes(StandardCharsets.ISO_8859_1));
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      s.getInputStream().transferTo(all);
      return all.toString(StandardCharsets.ISO_8859_1);
    }
  }

  private static String basic(String user, String password) {
    return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void addressesOutsideTheAllowListGet403() throws Exception {
    start(AddressRanges.parse(List.of("127.0.0.1/32"), "allowFrom"), null, null);
    assertTrue(get("127.0.0.1", "/routes", null).startsWith("HTTP/1.1 200"));
    String refused = get("127.0.0.2", "/routes", null);
    assertTrue(refused.startsWith("HTTP/1.1 403"), refused);
    assertTrue(!refused.contains("the routes"), refused);
    assertTrue(get("127.0.0.2", "/metrics", null).startsWith("HTTP/1.1 403"));
  }

  @Test
  void basicAuthIsRequiredOnEveryPath() throws Exception {
    start(AddressRanges.NONE, "ops", "s3cret");
    for (String path : List.of("/routes", "/metrics", "/ping", "/healthcheck", "/anything")) {
      String none = get("127.0.0.1", path, null);
      assertTrue(none.startsWith("HTTP/1.1 401"), path + ": " + none);
      assertTrue(none.contains("WWW-Authenticate: Basic realm=\"gantry admin\""), none);
      assertTrue(get("127.0.0.1", path, basic("ops", "wrong")).startsWith("HTTP/1.1 401"), path);
    }
    String ok = get("127.0.0.1", "/routes", basic("ops", "s3cret"));
    assertTrue(ok.startsWith("HTTP/1.1 200"), ok);
    assertTrue(ok.contains("the routes"), ok);
  }

  @Test
  void bothTogether() throws Exception {
    start(AddressRanges.parse(List.of("127.0.0.1"), "allowFrom"), "ops", "s3cret");
    assertEquals("HTTP/1.1 403", get("127.0.0.2", "/routes", basic("ops", "s3cret")).substring(0, 12));
    assertEquals("HTTP/1.1 200", get("127.0.0.1", "/routes", basic("ops", "s3cret")).substring(0, 12));
  }
}
