package io.gantry.proxy;

import static io.gantry.proxy.route.RouteStrategies.host;
import static io.gantry.proxy.route.RouteStrategies.pathPrefix;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.gantry.proxy.route.RequestView;
import io.gantry.proxy.route.Route;
import io.gantry.proxy.route.RouteTable;
import io.gantry.proxy.upstream.Upstream;
import io.gantry.proxy.Router.Decision;
import io.gantry.proxy.Router.Forward;
import io.gantry.proxy.Router.Refuse;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Where a request goes, or why it is refused before any backend is contacted. */
class RouterTest {
  private static final Router TARGETS = new Router(RouteTable.builder()
      .route(Route.builder("raw").when(host("raw.example.com")).to("http://nexus:8081/repository/raw-hosted/")
          .allowEncodedSlashes(true).build())
      .route(Route.of("registry", host("registry.example.com").and(pathPrefix("/v2/")),
          Upstream.of("http://nexus:8081/repository/docker-hosted/")))
      .build());

  private static Decision decide(String host, String rawPath, String rawQuery) {
    return TARGETS.decide(rawPath, rawQuery, path -> RequestView.builder().host(host).path(path).build());
  }

  @ParameterizedTest(name = "{0}{1}?{2} -> {4}")
  @CsvSource(delimiter = '|', value = {
      "registry.example.com | /v2/                   |          | registry | http://nexus:8081/repository/docker-hosted/v2/",
      "registry.example.com | /v2                    |          | registry | http://nexus:8081/repository/docker-hosted/v2",
      "registry.example.com | /v2/a/./b/../c         | n=1      | registry | http://nexus:8081/repository/docker-hosted/v2/a/c?n=1",
      "registry.example.com | /%76%32/x              | a=%2F%zz | registry | http://nexus:8081/repository/docker-hosted/v2/x?a=%2F%zz",
      "registry.example.com | //v2//x                |          | registry | http://nexus:8081/repository/docker-hosted/v2/x",
      "raw.example.com      | /a%2fb/c               |          | raw      | http://nexus:8081/repository/raw-hosted/a%2Fb/c",
      "raw.example.com      | /x/../y                | z        | raw      | http://nexus:8081/repository/raw-hosted/y?z",
  })
  void forwards(String host, String rawPath, String rawQuery, String route, String target) {
    Forward f = assertInstanceOf(Forward.class, decide(host, rawPath, rawQuery));
    assertEquals(route, f.route().name());
    assertEquals(target, f.target());
  }

  @ParameterizedTest(name = "{0}{1} -> {2} {3}")
  @CsvSource(delimiter = '|', value = {
      "registry.example.com | /v2/../../service/rest    | 400 | path climbs above '/'  | ",
      "registry.example.com | /v2/%2e%2e/%2e%2e/x       | 400 | path climbs above '/'  | ",
      "registry.example.com | /v2/..%2f..%2fx           | 400 | encoded dot segment    | ",
      "registry.example.com | /v2/%252e%252e/x          | 400 | double percent-encoding| ",
      "registry.example.com | /v2/a%5cb                 | 400 | encoded backslash      | ",
      "registry.example.com | /v2/a%00                  | 400 | encoded control character | ",
      "registry.example.com | /v2/%zz                   | 400 | malformed percent-encoding | ",
      "registry.example.com | /service/rest/v1/status   | 404 | no route for this request | ",
      "other.example.com    | /v2/                      | 404 | no route for this request | ",
      "registry.example.com | /v2/a%2fb                 | 400 | encoded slash in path  | registry",
      "registry.example.com | /v2/a%2Fb/manifests/x     | 400 | encoded slash in path  | registry",
  })
  void refuses(String host, String rawPath, int status, String reason, String route) {
    Refuse r = assertInstanceOf(Refuse.class, decide(host, rawPath, null));
    assertEquals(status, r.status());
    assertEquals(reason.trim(), r.reason());
    if (route == null) {
      assertNull(r.route());
    } else {
      assertEquals(route, r.route().name());
    }
  }

  /** The kind of every refusal, which metrics name ({@code refused.<label>}) and observers read. */
  @ParameterizedTest(name = "{0} {1} {2} -> {3}")
  @CsvSource(delimiter = '|', nullValues = "-", value = {
      "registry.example.com | -                    | GET   | /v2/../../x   | UNSAFE_PATH        | unsafe-path",
      "registry.example.com | -                    | TRACE | /v2/          | METHOD_NOT_ALLOWED | method-not-allowed",
      "registry.example.com | -                    | GET   | /service/     | NO_ROUTE           | no-route",
      "registry.example.com | -                    | GET   | /v2/a%2fb     | ENCODED_SLASH      | encoded-slash",
      "other.example.com    | -                    | GET   | /v2/          | UNKNOWN_HOST       | unknown-host",
      "raw.example.com      | registry.example.com | GET   | /v2/          | MISDIRECTED        | misdirected",
      "registry.example.com | registry.example.com | GET   | /v2/          | -                  | -",
  })
  void refusalsHaveAKind(String host, String sni, String method, String rawPath, Refusal kind, String label) {
    Arrival arrival = new Arrival(host, host, sni, "https", 443, sni != null);
    Decision d = TARGETS.decide(arrival, rawPath, null,
        p -> RequestView.builder().host(arrival.routingHost()).method(method).path(p).build());
    if (kind == null) {
      assertInstanceOf(Forward.class, d);
    } else {
      assertEquals(kind, assertInstanceOf(Refuse.class, d).kind());
      assertEquals(label, kind.label());
    }
  }

  /** The route's access rules: 403 before any upstream, the route known, the rule named. */
  @ParameterizedTest(name = "{0} {1} -> {2}")
  @CsvSource(delimiter = '|', nullValues = "-", value = {
      "10.1.2.3  | /service/rest/v1/status          | -",
      "10.1.2.3  | /service/rest/v1/../v1/script    | path /service/rest/v1/script/ is not served here (deny-paths)",
      "192.0.2.1 | /service/rest/v1/status          | client address 192.0.2.1 is not allowed on this route (allow-from)",
  })
  void accessRulesRefuseWith403(String client, String rawPath, String reason) {
    Router router = new Router(RouteTable.builder()
        .route(Route.builder("ui").when(host("nexus.example.com")).to("http://nexus:8081/")
            .access(io.gantry.proxy.route.AccessRules.builder().allowFrom("10.0.0.0/8")
                .denyPaths("/service/rest/v1/script").build()).build())
        .build());
    Decision d = router.decide(rawPath, null,
        p -> RequestView.builder().host("nexus.example.com").path(p).clientAddress(client).build());
    if (reason == null) {
      assertInstanceOf(Forward.class, d);
    } else {
      Refuse r = assertInstanceOf(Refuse.class, d);
      assertEquals(403, r.status());
      assertEquals(Refusal.FORBIDDEN, r.kind());
      assertEquals("forbidden", r.kind().label());
      assertEquals("ui", r.route().name());
      assertEquals(reason, r.reason());
    }
  }

  /** The SNI/Host check and the answer for a host nothing serves, from how the request arrived. */
  @ParameterizedTest(name = "sni {0}, host {1}, secure {2} -> {3} {4}")
  @CsvSource(delimiter = '|', nullValues = "-", value = {
      "registry.example.com | registry.example.com | true  | 200 | registry",
      "-                    | registry.example.com | true  | 200 | registry",
      "registry.example.com | raw.example.com      | true  | 421 | this connection is for registry.example.com, not raw.example.com",
      "registry.example.com | -                    | true  | 421 | this connection is for registry.example.com, not an empty host",
      "registry.example.com | <script>             | true  | 421 | this connection is for registry.example.com, not this host",
      "other.example.com    | other.example.com    | true  | 421 | no routes for other.example.com on this port",
      "-                    | other.example.com    | false | 404 | no routes for other.example.com on this port",
      "-                    | registry.example.com | false | 404 | no route for this request",
  })
  void checksTheHostAgainstTheConnection(String sni, String authority, boolean secure, int status, String outcome) {
    String host = authority == null ? "" : authority;
    Arrival arrival = new Arrival(authority, host, sni, "https", 443, secure);
    String path = status == 404 && outcome.startsWith("no route ") ? "/other" : "/v2/";
    Decision d = TARGETS.decide(arrival, path, null,
        p -> RequestView.builder().host(arrival.routingHost()).path(p).secure(secure).localPort(443).listenerName("https").build());
    if (status == 200) {
      assertEquals(outcome, assertInstanceOf(Forward.class, d).route().name());
    } else {
      Refuse r = assertInstanceOf(Refuse.class, d);
      assertEquals(status, r.status());
      assertEquals(outcome, r.reason());
    }
  }
}
