package io.gantry.proxy.route;

import static io.gantry.proxy.route.RouteStrategies.header;
import static io.gantry.proxy.route.RouteStrategies.host;
import static io.gantry.proxy.route.RouteStrategies.listener;
import static io.gantry.proxy.route.RouteStrategies.method;
import static io.gantry.proxy.route.RouteStrategies.pathPrefix;
import static io.gantry.proxy.route.RouteStrategies.port;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gantry.proxy.upstream.Upstream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The route table: order, host indexing, listener scopes, validation and printing. */
class RouteTableTest {
  private static final Upstream GROUP = Upstream.of("http://nexus:8081/repository/docker-group/");
  private static final Upstream HOSTED = Upstream.of("http://nexus:8081/repository/docker-hosted/");
  private static final Upstream UI = Upstream.of("http://nexus:8081/");

  /**
   * 1 any host, port 8086        -> push-port
   * 2 registry, GET/HEAD         -> pull
   * 3 any host, /v2/ + X-Debug   -> debug (host-less, between host routes)
   * 4 registry                   -> push
   * 5 *.example.com              -> wild
   * 6 listener admin             -> admin
   * 7 nexus.example.com          -> ui (never reached: wild covers it)
   */
  private static final RouteTable TABLE = RouteTable.builder()
      .route(Route.of("push-port", port(8086), HOSTED))
      .route(Route.of("pull", host("registry.example.com").and(method("GET", "HEAD")), GROUP))
      .route(Route.of("debug", pathPrefix("/v2/").and(header("X-Debug", "1")), GROUP))
      .route(Route.of("push", host("registry.example.com"), HOSTED))
      .route(Route.of("wild", host("*.example.com"), GROUP))
      .route(Route.of("admin", listener("admin"), UI))
      .route(Route.of("ui", host("nexus.example.com"), UI))
      .build();

  @ParameterizedTest(name = "{0} {1} {2} port {3} listener {4} debug {5} -> {6}")
  @CsvSource({
      "registry.example.com, GET, /v2/, 5000, public, false, pull",
      "registry.example.com, HEAD, /v2/, 5000, public, false, pull",
      "registry.example.com, PUT, /v2/, 5000, public, false, push",
      "registry.example.com, PUT, /v2/, 8086, public, false, push-port",
      "registry.example.com, GET, /v2/, 8086, public, false, push-port",
      "registry.example.com, PUT, /v2/x, 5000, public, true, debug",
      "registry.example.com, GET, /v2/x, 5000, public, true, pull",
      "REGISTRY.example.com., PUT, /v2/, 5000, public, false, push",
      "other.example.com, GET, /v2/, 5000, public, false, wild",
      "other.example.com, PUT, /v2/x, 5000, public, true, debug",
      "a.b.example.com, GET, /v2/, 5000, public, false, ",
      "example.com, GET, /v2/, 5000, public, false, ",
      "nexus.example.com, GET, /, 5000, public, false, wild",
      "nexus.example.com, GET, /, 5000, admin, false, wild",
      "nexus.example.org, GET, /, 5000, admin, false, admin",
      "unknown.org, GET, /, 5000, admin, false, admin",
      "unknown.org, GET, /v2/, 5000, public, true, debug",
      "unknown.org, GET, /v2/, 5000, public, false, ",
      "unknown.org, GET, /v2/, 8086, , false, push-port",
      "'', GET, /v2/, 5000, , false, ",
  })
  void firstMatchInTableOrder(String h, String m, String path, int localPort, String listenerName, boolean debug,
      String expected) {
    RequestView.Builder b = RequestView.builder().host(h).method(m).path(path).localPort(localPort)
        .listenerName(listenerName);
    if (debug) {
      b.header("X-Debug", "1");
    }
    RequestView request = b.build();
    Route route = TABLE.match(request);
    assertEquals(expected, route == null ? null : route.name());
    assertSame(linear(TABLE, request), route);
  }

  @Test
  void hostLessRouteBeforeHostRouteWinsForThatHost() {
    RouteTable table = RouteTable.builder()
        .route(Route.of("everyone", method("DELETE"), UI))
        .route(Route.of("a", host("a.com"), GROUP))
        .route(Route.of("late", method("DELETE", "GET"), HOSTED))
        .build();
    assertEquals("everyone", table.match(RequestView.builder().host("a.com").method("DELETE").build()).name());
    assertEquals("a", table.match(RequestView.builder().host("a.com").method("GET").build()).name());
    assertEquals("late", table.match(RequestView.builder().host("b.com").method("GET").build()).name());
    assertNull(table.match(RequestView.builder().host("b.com").method("PUT").build()));
  }

  @Test
  void emptyTableMatchesNothing() {
    RouteTable table = RouteTable.builder().build();
    assertTrue(table.isEmpty());
    assertNull(table.match(RequestView.builder().host("a.com").build()));
    assertEquals(false, table.acceptsHost("a.com", 443, "public"));
  }

  @Test
  void thousandVirtualHostsMatchLikeALinearScan() {
    RouteTable.Builder b = RouteTable.builder();
    b.route(Route.of("head-everywhere", method("OPTIONS"), UI));
    for (int i = 0; i < 1000; i++) {
      String h = "project-" + i + ".example.com";
      b.route(Route.of(i + "-pull", host(h).and(method("GET", "HEAD")), GROUP));
      b.route(Route.of(i + "-push", host(h).and(pathPrefix("/v2/")), HOSTED));
      b.route(Route.of(i + "-ui", host(h, "*.p" + i + ".example.com"), UI));
      if (i % 100 == 0) {
        b.route(Route.of(i + "-any-delete", method("DELETE"), UI));
      }
    }
    b.route(Route.of("wild", host("*.example.com"), UI));
    RouteTable table = b.build();

    String[] methods = {"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "POST"};
    String[] paths = {"/", "/v2/", "/v2/x/manifests/1", "/service/rest"};
    Random random = new Random(42);
    for (int n = 0; n < 20_000; n++) {
      int i = random.nextInt(1100);
      String h = switch (random.nextInt(4)) {
        case 0 -> "project-" + i + ".example.com";
        case 1 -> "x.p" + i + ".example.com";
        case 2 -> "other-" + i + ".example.com";
        default -> "project-" + i + ".example.org";
      };
      RequestView request = RequestView.builder().host(h).method(methods[random.nextInt(methods.length)])
          .path(paths[random.nextInt(paths.length)]).build();
      assertSame(linear(table, request), table.match(request), () -> request.toString());
    }
  }

  private static Route linear(RouteTable table, RequestView request) {
    return table.routes().stream().filter(r -> r.strategy().matches(request)).findFirst().orElse(null);
  }

  @ParameterizedTest(name = "{0} on {1}/{2}: {3}")
  @CsvSource({
      "registry.example.com, 443, public, true",
      "Registry.Example.com., 443, public, true",
      "x.example.com, 443, public, true",
      "a.b.example.com, 443, public, false",
      "unknown.org, 443, public, false",
      "unknown.org, 8086, public, true",
      "unknown.org, 443, admin, true",
      "push.internal, 5001, public, true",
      "push.internal, 5002, public, false",
      "push.internal, 5001, other, false",
      "push.internal, 5001, , false",
  })
  void acceptsHostByHostPortAndListener(String h, int localPort, String listenerName, boolean expected) {
    RouteTable table = RouteTable.builder()
        .route(Route.of("push-port", port(8086), HOSTED))
        .route(Route.of("registry", host("registry.example.com", "*.example.com"), GROUP))
        .route(Route.of("admin", listener("admin"), UI))
        .route(Route.of("push", host("push.internal").and(port(5001)).and(listener("public")), HOSTED))
        .build();
    assertEquals(expected, table.acceptsHost(h, localPort, listenerName));
  }

  @Test
  void duplicateRouteNamesAreRejected() {
    RouteTable.Builder b = RouteTable.builder().route(Route.of("pull", port(1), GROUP)).route(Route.of("push", port(2), GROUP));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> b.route(Route.of(" pull ", port(3), HOSTED)));
    assertEquals("route: 'pull' at index 2 repeats the name of index 0", e.getMessage());
  }

  @Test
  void toStringHasOneLinePerRoute() {
    String[] lines = TABLE.toString().split("\\R");
    assertEquals(TABLE.routes().size(), lines.length);
    assertEquals("  1. push-port: port(8086) -> http://nexus:8081/repository/docker-hosted/", lines[0]);
    assertEquals("  2. pull: host(registry.example.com) && method(GET,HEAD) -> http://nexus:8081/repository/docker-group/",
        lines[1]);
    assertEquals("  7. ui: host(nexus.example.com) -> http://nexus:8081/", lines[6]);
  }

  @Test
  void routesAreKeptInOrderAndImmutable() {
    List<String> names = new ArrayList<>();
    TABLE.routes().forEach(r -> names.add(r.name()));
    assertEquals(List.of("push-port", "pull", "debug", "push", "wild", "admin", "ui"), names);
    assertThrows(UnsupportedOperationException.class, () -> TABLE.routes().clear());
  }

  @org.junit.jupiter.api.Test
  void acceptsHostOfNullIsTheEmptyHost() {
    io.gantry.proxy.route.RouteTable table = io.gantry.proxy.route.RouteTable.builder()
        .route(io.gantry.proxy.route.Route.of("any", io.gantry.proxy.route.RouteStrategies.any(),
            io.gantry.proxy.upstream.Upstream.of("http://127.0.0.1:1/")))
        .build();
    org.junit.jupiter.api.Assertions.assertTrue(table.acceptsHost(null, 80, null));
  }
}
