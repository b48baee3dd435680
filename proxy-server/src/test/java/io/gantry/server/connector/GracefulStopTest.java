package io.gantry.server.connector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.inject.Guice;
import io.gantry.server.GantryModule;
import io.gantry.server.GantryServer;
import io.gantry.server.config.ConfigLoader;
import io.gantry.server.testing.Backend;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a load balancer in front of a stopping gantry sees: during {@code shutdown-delay} {@code
 * /ready} is 503 while requests are still served, each with {@code Connection: close}; after it,
 * new connections are refused and idle ones closed, and a transfer in flight completes; nothing is
 * answered 503.
 */
class GracefulStopTest {
  @TempDir
  Path dir;

  private Backend backend;
  private GantryServer gantry;

  @BeforeEach
  void startBackend() throws Exception {
    backend = new Backend();
  }

  @AfterEach
  void stop() throws Exception {
    if (gantry != null) {
      gantry.stop();
    }
    backend.close();
  }

  /** One request on an open connection; the status line and the Connection header, or "" when closed. */
  private static String exchange(Socket socket, String path) throws IOException {
    OutputStream out = socket.getOutputStream();
    out.write(("GET " + path + " HTTP/1.1\r\nHost: registry.example.com\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    out.flush();
    return response(new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1)));
  }

  /** The next response's status line and Connection header, or "" when the connection closed. */
  private static String response(BufferedReader in) throws IOException {
    String status = in.readLine();
    if (status == null) {
      return "";
    }
    String connection = "keep-alive";
    int length = 0;
    for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
      String lower = line.toLowerCase();
      if (lower.startsWith("connection:")) {
        connection = line.substring(11).trim();
      } else if (lower.startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    in.skip(length);
    return status + " / " + connection;
  }

  private static Socket open(int port) throws IOException {
    Socket socket = new Socket();
    socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
    socket.setSoTimeout(10_000);
    return socket;
  }

  @Test
  void aStoppingGantryIsNotReadyThenDrainsWithoutRefusingRequestsOnOpenConnections() throws Exception {
    Path conf = dir.resolve("gantry.conf");
    Files.writeString(conf, """
        gantry {
          listeners = [ { name = plain, port = 0, host = 127.0.0.1, tls = false } ]
          upstreams { b = "http://127.0.0.1:%d/" }
          routes = [ { to = b } ]
          admin { host = 127.0.0.1, port = 0 }
          reload.watch = false
          shutdown-delay = 1500ms
          shutdown-grace = 10s
        }
        """.formatted(backend.port()));
    gantry = Guice.createInjector(new GantryModule(ConfigLoader.defaults().load(conf))).getInstance(GantryServer.class);
    gantry.start();
    int port = gantry.port("plain");
    int admin = gantry.adminPort();
    try (Socket early = open(port); Socket late = open(port); Socket probe = open(admin)) {
      assertEquals("HTTP/1.1 200 OK / keep-alive", exchange(early, "/a"));
      assertEquals("HTTP/1.1 200 OK / keep-alive", exchange(late, "/b"));
      assertTrue(exchange(probe, "/ready").startsWith("HTTP/1.1 200"));
      // A slow request with a second one pipelined behind it.
      CompletableFuture<String> slow = CompletableFuture.supplyAsync(() -> {
        try (Socket s = open(port)) {
          s.getOutputStream().write(("GET /slow/2500 HTTP/1.1\r\nHost: registry.example.com\r\n\r\n"
              + "GET /after-slow HTTP/1.1\r\nHost: registry.example.com\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
          BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
          return response(in) + " + " + response(in);
        } catch (IOException e) {
          return e.toString();
        }
      });
      Thread.sleep(300); // the slow request is in flight
      CompletableFuture<Void> stopping = CompletableFuture.runAsync(() -> {
        try {
          gantry.stop();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      Thread.sleep(300);
      // the delay: not ready, still serving, connections told to close
      assertTrue(exchange(probe, "/ready").startsWith("HTTP/1.1 503"));
      assertEquals("HTTP/1.1 200 OK / close", exchange(early, "/during-delay"));
      Thread.sleep(1500);
      // after the delay: no new connections, idle ones closed; what is in flight completes, and
      // the request behind it is served too
      assertThrows(IOException.class, () -> open(port).close());
      assertEquals("", exchange(late, "/idle-connection-was-closed"));
      // Jetty closes the connection after the in-flight response; the pipelined request behind it
      // is never read: the client sees a clean close, never a 503 (Jetty's GracefulHandler's answer)
      assertEquals("HTTP/1.1 200 OK / close + ", slow.get(10, TimeUnit.SECONDS));
      stopping.get(15, TimeUnit.SECONDS);
    }
  }
}
