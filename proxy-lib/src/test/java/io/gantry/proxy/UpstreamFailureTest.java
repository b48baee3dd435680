package io.gantry.proxy;

import static io.gantry.proxy.route.RouteStrategies.any;
import static io.gantry.proxy.route.RouteStrategies.pathPrefix;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gantry.proxy.route.Route;
import io.gantry.proxy.route.RouteTable;
import io.gantry.proxy.upstream.Upstream;
import io.gantry.proxy.testing.Backend;
import io.gantry.proxy.testing.Proxy;
import io.gantry.proxy.testing.Proxy.Engine;
import io.restassured.response.Response;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** Dead, frozen and saturated upstreams get prompt, clear answers that name no backend. */
@ParameterizedClass(name = "{0}")
@EnumSource(Engine.class)
class UpstreamFailureTest {
  @Parameter
  Engine engine;

  private Proxy proxy;

  @AfterEach
  void stop() throws Exception {
    if (proxy != null) {
      proxy.close();
    }
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private void startProxy(Upstream upstream, int maxConnections, int maxQueued) throws Exception {
    RouteTable routes = RouteTable.builder()
        .route(Route.of("registry", pathPrefix("/v2/"), upstream))
        .route(Route.of("ui", any(), upstream))
        .build();
    proxy = new Proxy(engine, b -> b.routes(routes).maxConnectionsPerUpstream(maxConnections).maxQueuedPerUpstream(maxQueued));
  }

  @Test
  void refusedConnectionIsAPrompt502NamingTheRouteNotTheBackend() throws Exception {
    int dead = freePort();
    startProxy(Upstream.of("http://127.0.0.1:" + dead + "/repository/docker-hosted/"), 512, 1024);
    long start = System.nanoTime();
    Response r = given().port(proxy.port()).header("Host", "registry.example.com").get("/service/rest/v1/status");
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    r.then().statusCode(502).body(containsString("route 'ui'"))
        .body(not(containsString(String.valueOf(dead)))).body(not(containsString("127.0.0.1")))
        .body(not(containsString("/repository/")));
    assertTrue(millis < 5000, "502 took " + millis + " ms");
  }

  @Test
  void anUpstreamDyingMidUploadIsTheUpstreamsFailureNotTheClients() throws Exception {
    // reads the request head and 64 KiB of the body, then resets the connection
    ServerSocket dying = new ServerSocket(0);
    Thread reader = new Thread(() -> {
      try (Socket s = dying.accept()) {
        byte[] buffer = new byte[8192];
        long read = 0;
        java.io.InputStream in = s.getInputStream();
        for (int n; read < 64 * 1024 && (n = in.read(buffer)) > 0; ) {
          read += n;
        }
        s.setSoLinger(true, 0);
      } catch (Exception e) {
        // the test's assertion tells
      }
    });
    reader.start();
    try {
      startProxy(Upstream.of("http://127.0.0.1:" + dying.getLocalPort() + "/repository/docker-hosted/"), 512, 1024);
      // A raw client: it keeps sending while it reads, as Docker does; the answer comes before the body ends.
      try (Socket client = new Socket("127.0.0.1", proxy.port())) {
        client.setSoTimeout(10_000);
        int size = 16 * 1024 * 1024;
        Thread writer = new Thread(() -> {
          try {
            java.io.OutputStream out = client.getOutputStream();
            out.write(("PATCH /v2/team/app/blobs/uploads/1 HTTP/1.1\r\nHost: registry.example.com\r\n"
                + "Content-Length: " + size + "\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            byte[] chunk = new byte[64 * 1024];
            for (int sent = 0; sent < size; sent += chunk.length) {
              out.write(chunk);
            }
          } catch (java.io.IOException e) {
            // the proxy closed the connection after its answer
          }
        });
        writer.start();
        String status = new java.io.BufferedReader(new java.io.InputStreamReader(client.getInputStream(),
            java.nio.charset.StandardCharsets.ISO_8859_1)).readLine();
        assertEquals("HTTP/1.1 502 Bad Gateway", status, "an upstream that died mid-body is not a malformed client body");
        writer.join(10_000);
      }
    } finally {
      dying.close();
      reader.join(5000);
    }
  }

  @Test
  void registryPathsGetRegistryJsonErrors() throws Exception {
    startProxy(Upstream.of("http://127.0.0.1:" + freePort() + "/"), 512, 1024);
    given().port(proxy.port()).header("Host", "registry.example.com").post("/v2/x/blobs/uploads/")
        .then().statusCode(502)
        .contentType(containsString("application/json"))
        .header("Docker-Distribution-Api-Version", "registry/2.0")
        .body("errors[0].code", equalTo("UNAVAILABLE"))
        .body("errors[0].message", containsString("route 'registry'"));
  }

  @Test
  void frozenUpstreamTimesOutWith504AfterItsIdleTimeout() throws Exception {
    try (ServerSocket frozen = new ServerSocket(0)) {
      List<Socket> held = new ArrayList<>();
      Thread acceptor = new Thread(() -> {
        try {
          while (true) {
            held.add(frozen.accept()); // accept, then never answer
          }
        } catch (Exception ignored) {
          // closed at the end of the test
        }
      });
      acceptor.start();
      startProxy(Upstream.builder("http://127.0.0.1:" + frozen.getLocalPort() + "/")
          .idleTimeout(Duration.ofMillis(700)).build(), 512, 1024);
      long start = System.nanoTime();
      given().port(proxy.port()).header("Host", "x").get("/v2/").then().statusCode(504)
          .body("errors[0].message", containsString("timed out"));
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertTrue(millis >= 600 && millis < 5000, "504 after " + millis + " ms");
    }
  }

  @Test
  void saturatedUpstreamAnswers503AtOnce() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    try (Backend slow = new Backend((request, response, seen, callback) -> {
      release.await(10, TimeUnit.SECONDS);
      response.setStatus(200);
      callback.succeeded();
    })) {
      startProxy(Upstream.of(slow.url("/")), 1, 1);
      ExecutorService pool = Executors.newFixedThreadPool(3);
      try {
        Future<Integer> first = pool.submit(() -> given().port(proxy.port()).get("/a").statusCode());
        Thread.sleep(300);
        Future<Integer> queued = pool.submit(() -> given().port(proxy.port()).get("/b").statusCode());
        Thread.sleep(300);
        long start = System.nanoTime();
        Response rejected = given().port(proxy.port()).get("/c");
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        rejected.then().statusCode(503).body(containsString("busy"));
        assertTrue(millis < 2000, "503 after " + millis + " ms");
        release.countDown();
        assertEquals(200, first.get(10, TimeUnit.SECONDS));
        assertEquals(200, queued.get(10, TimeUnit.SECONDS));
      } finally {
        release.countDown();
        pool.shutdownNow();
      }
    }
  }

  @Test
  void upstreamRecoveryNeedsNoRestart() throws Exception {
    int port = freePort();
    startProxy(Upstream.of("http://127.0.0.1:" + port + "/"), 512, 1024);
    given().port(proxy.port()).get("/v2/").then().statusCode(502);
    try (Backend revived = new Backend((request, response, seen, callback) -> {
      response.setStatus(200);
      callback.succeeded();
    }, port)) {
      given().port(proxy.port()).get("/v2/").then().statusCode(200);
    }
  }
}
