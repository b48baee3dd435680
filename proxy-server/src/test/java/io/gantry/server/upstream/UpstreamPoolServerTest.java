package io.gantry.server.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.inject.Guice;
import io.gantry.server.GantryModule;
import io.gantry.server.GantryServer;
import io.gantry.server.config.ConfigLoader;
import io.gantry.server.testing.Backend;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An upstream pool configured in gantry.conf, through the whole server: a dead instance costs
 * clients nothing, and {@code /healthcheck}, {@code /routes} and the metrics show it out; a reload
 * keeps what was learned about instances that stay.
 */
class UpstreamPoolServerTest {
  @TempDir
  Path dir;

  private Backend backend;
  private int live;
  private int dead;
  private GantryServer gantry;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeEach
  void startBackend() throws Exception {
    backend = new Backend();
    live = backend.port();
    try (ServerSocket s = new ServerSocket(0)) {
      dead = s.getLocalPort();
    }
  }

  @AfterEach
  void stop() throws Exception {
    if (gantry != null) {
      gantry.stop();
    }
    backend.close();
  }

  private Path config(String urls) throws Exception {
    Path conf = dir.resolve("gantry.conf");
    Files.writeString(conf, """
        gantry {
          listeners = [ { name = plain, port = 0, host = 127.0.0.1, tls = false } ]
          upstreams.nexus { urls = [%s], ejection = 30s }
          reload.watch = false
          routes = [ { name = registry, listener = plain, to = nexus } ]
          admin { host = 127.0.0.1, port = 0 }
          shutdown-grace = 1s
        }
        """.formatted(urls));
    return conf;
  }

  private HttpResponse<String> get(int port, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aDeadInstanceIsOutAndEveryEndpointSaysSo() throws Exception {
    String deadUrl = "\"http://127.0.0.1:" + dead + "/repository/docker-group/\"";
    String liveUrl = "\"http://127.0.0.1:" + live + "/repository/docker-group/\"";
    Path conf = config(deadUrl + ", " + liveUrl);
    gantry = Guice.createInjector(new GantryModule(ConfigLoader.defaults().load(conf))).getInstance(GantryServer.class);
    gantry.start();
    int port = gantry.port("plain");
    for (int i = 0; i < 8; i++) {
      HttpResponse<String> r = get(port, "/v2/x");
      assertEquals(200, r.statusCode(), r.body());
      assertEquals("backend /repository/docker-group/v2/x", r.body());
    }
    int admin = gantry.adminPort();
    String health = get(admin, "/healthcheck").body();
    assertTrue(health.contains("upstream 'nexus': 1 of 2 instances up") && health.contains("127.0.0.1:" + dead + " ejected"),
        health);
    String routes = get(admin, "/routes").body();
    assertTrue(routes.contains("http://127.0.0.1:" + dead + "/repository/docker-group/  ejected for"), routes);
    assertTrue(routes.contains("http://127.0.0.1:" + live + "/repository/docker-group/  up"), routes);
    String metrics = get(admin, "/metrics/prometheus").body();
    assertTrue(metrics.contains("gantry_upstream_nexus_instances_up 1.0"), metrics);
    assertTrue(metrics.contains("gantry_upstream_nexus_instance_127_0_0_1_" + dead + "_up 0.0"), metrics);
    assertTrue(metrics.matches("(?s).*gantry_route_registry_retries_total [1-9].*"), metrics);

    // a reload that keeps both instances (and adds a route) keeps the dead one out
    Files.writeString(conf, Files.readString(conf).replace("routes = [",
        "routes = [ { name = extra, listener = plain, path = /extra/, to = nexus },"));
    assertTrue(gantry.reloader().reload().applied());
    assertTrue(get(admin, "/routes").body().contains(dead + "/repository/docker-group/  ejected for"));
    // a reload that drops it leaves one instance, healthy
    Files.writeString(conf, Files.readString(conf).replace(deadUrl + ", ", ""));
    var dropped = gantry.reloader().reload();
    assertTrue(dropped.applied() && dropped.changes().stream().anyMatch(c -> c.startsWith("upstream changed: nexus")),
        dropped.toJson());
    assertTrue(get(admin, "/healthcheck").body().contains("upstream 'nexus': 1 of 1 instance up"));
    assertEquals(200, get(port, "/v2/y").statusCode());
  }
}
