package io.gantry.proxy;

import static io.gantry.proxy.route.RouteStrategies.host;
import static io.gantry.proxy.route.RouteStrategies.pathPrefix;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.codahale.metrics.MetricRegistry;
import io.gantry.proxy.limit.ClientLimits;
import io.gantry.proxy.metrics.ProxyMetrics;
import io.gantry.proxy.route.AccessRules;
import io.gantry.proxy.route.Route;
import io.gantry.proxy.route.RouteTable;
import io.gantry.proxy.testing.Await;
import io.gantry.proxy.testing.Backend;
import io.gantry.proxy.testing.Proxy;
import io.gantry.proxy.testing.Proxy.Engine;
import io.gantry.proxy.testing.RawHttp;
import io.gantry.proxy.testing.RawHttp.Reply;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.io.Content;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Edge controls through a real proxy and backend: per-route client address rules and denied
 * paths (403, the backend never contacted), per-client limits (429 with Retry-After), counted by
 * kind. A second client address is simulated by binding the client socket to 127.0.0.2.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(Engine.class)
class EdgeControlsTest {
  @Parameter
  Engine engine;

  private Backend backend;
  private Proxy proxy;
  private final MetricRegistry registry = new MetricRegistry();

  @AfterEach
  void stop() throws Exception {
    if (proxy != null) {
      proxy.close();
    }
    if (backend != null) {
      backend.close();
    }
  }

  private void start(ClientLimits limits) throws Exception {
    backend = new Backend("nexus");
    RouteTable routes = RouteTable.builder()
        .route(Route.builder("office").when(host("office.example.com")).to(backend.url("/"))
            .access(AccessRules.builder().allowFrom("127.0.0.1/32").build()).build())
        .route(Route.builder("blocked").when(host("blocked.example.com")).to(backend.url("/"))
            .access(AccessRules.builder().denyFrom("127.0.0.2").build()).build())
        .route(Route.builder("public").when(host("nexus.example.com")).to(backend.url("/"))
            .access(AccessRules.builder().denyPaths("/service/rest/v1/script", "/service/rest/v1/security/").build())
            .build())
        .route(Route.builder("limited").when(host("limited.example.com")).to(backend.url("/"))
            .clientLimits(ClientLimits.of(0, 0.001, 1)).build())
        .route(Route.of("registry", host("registry.example.com").and(pathPrefix("/v2/")),
            io.gantry.proxy.upstream.Upstream.of(backend.url("/repository/docker/"))))
        .build();
    ProxyMetrics metrics = ProxyMetrics.builder(registry).routes(routes).build();
    proxy = new Proxy(engine, b -> b.routes(routes).observer(metrics).clientLimits(limits));
  }

  @Test
  void clientAddressRules() throws Exception {
    start(ClientLimits.NONE);
    assertEquals(200, RawHttp.getFrom("127.0.0.1", proxy.port(), "/x", "office.example.com").status());
    Reply outside = RawHttp.getFrom("127.0.0.2", proxy.port(), "/x", "office.example.com");
    assertEquals(403, outside.status());
    assertTrue(outside.body().contains("client address 127.0.0.2 is not allowed on this route"), outside.body());
    assertEquals(200, RawHttp.getFrom("127.0.0.1", proxy.port(), "/y", "blocked.example.com").status());
    assertEquals(403, RawHttp.getFrom("127.0.0.2", proxy.port(), "/y", "blocked.example.com").status());
    assertEquals(2, backend.all().size(), "refused requests never reach the upstream");
    Await.until(() -> registry.meter("gantry.route.office.refused.forbidden").getCount() == 1
        && registry.meter("gantry.route.blocked.refused.forbidden").getCount() == 1);
  }

  @Test
  void deniedPathsNeverReachTheUpstreamWhateverTheSpelling() throws Exception {
    start(ClientLimits.NONE);
    String[] tricks = {
        "/service/rest/v1/script", "/service/rest/v1/script/", "/service/rest/v1/../v1/script",
        "/service/rest/v1/%2e/script", "/service/rest/v1/x/%2e%2e/script/run", "//service//rest/v1//script",
        "/service/rest/v1/%73cript", "/service/rest/v1/script;jsessionid=1", "/Service/Rest/V1/SCRIPT",
        "/service/rest/v1/security/users", "/service/rest/v1/security",
    };
    for (String target : tricks) {
      Reply r = RawHttp.get(proxy.port(), target, "nexus.example.com");
      assertEquals(403, r.status(), target + ": " + r.body());
    }
    assertEquals(0, backend.all().size(), "no spelling reaches the upstream: " + backend.all());
    assertEquals(200, RawHttp.get(proxy.port(), "/service/rest/v1/status", "nexus.example.com").status());
    assertEquals(200, RawHttp.get(proxy.port(), "/service/rest/v1/scripts", "nexus.example.com").status());
    Await.until(() -> registry.meter("gantry.route.public.refused.forbidden").getCount() == tricks.length);
  }

  @Test
  void concurrencyOverTheLimitIsAnswered429WithRetryAfter() throws Exception {
    start(ClientLimits.of(1, 0, 0));
    CountDownLatch arrived = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    backend.respondWith((request, response, seen, callback) -> {
      if (seen.rawTarget().endsWith("sha256:1")) {
        arrived.countDown();
        release.await(10, TimeUnit.SECONDS);
      }
      response.setStatus(200);
      Content.Sink.write(response, true, "ok", callback);
    });
    CompletableFuture<Reply> first = CompletableFuture.supplyAsync(() -> {
      try {
        return RawHttp.get(proxy.port(), "/v2/a/blobs/sha256:1", "registry.example.com");
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    assertTrue(arrived.await(10, TimeUnit.SECONDS));
    Reply second = RawHttp.get(proxy.port(), "/v2/a/blobs/sha256:2", "registry.example.com");
    assertEquals(429, second.status());
    assertEquals("1", second.header("Retry-After"));
    assertTrue(second.body().contains("\"TOOMANYREQUESTS\""), second.body());
    assertEquals(200, RawHttp.getFrom("127.0.0.2", proxy.port(), "/v2/", "registry.example.com").status(),
        "another client has its own limit");
    release.countDown();
    assertEquals(200, first.get(10, TimeUnit.SECONDS).status());
    Await.until(() -> status("/v2/") == 200); // the slot is released once the first exchange completes
    assertTrue(registry.meter("gantry.route.registry.refused.rate-limited").getCount() >= 1);
  }

  private int status(String target) {
    try {
      return RawHttp.get(proxy.port(), target, "registry.example.com").status();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void aRoutesOwnLimitsReplaceTheProxysForItsRequests() throws Exception {
    start(ClientLimits.NONE);
    assertEquals(200, RawHttp.get(proxy.port(), "/a", "limited.example.com").status());
    Reply limited = RawHttp.get(proxy.port(), "/b", "limited.example.com");
    assertEquals(429, limited.status());
    assertTrue(limited.body().startsWith("429 Too Many Requests: too many requests from 127.0.0.1"), limited.body());
    assertEquals(200, RawHttp.get(proxy.port(), "/v2/", "registry.example.com").status(), "other routes: no limit");
    assertEquals(200, RawHttp.get(proxy.port(), "/v2/", "registry.example.com").status());
    Await.until(() -> registry.meter("gantry.route.limited.refused.rate-limited").getCount() == 1);
  }

  @Test
  void rateOverTheBucketIsAnswered429() throws Exception {
    start(ClientLimits.of(0, 0.001, 2));
    assertEquals(200, RawHttp.get(proxy.port(), "/v2/", "registry.example.com").status());
    assertEquals(200, RawHttp.get(proxy.port(), "/v2/", "registry.example.com").status());
    Reply limited = RawHttp.get(proxy.port(), "/v2/", "registry.example.com");
    assertEquals(429, limited.status());
    assertTrue(Long.parseLong(limited.header("Retry-After")) > 1, limited.header("Retry-After"));
    assertEquals(2, backend.all().size());
  }
}
