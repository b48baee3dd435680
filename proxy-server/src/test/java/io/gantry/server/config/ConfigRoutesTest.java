package io.gantry.server.config;

import static io.gantry.server.config.TestConfigs.assertProblem;
import static io.gantry.server.config.TestConfigs.error;
import static io.gantry.server.config.TestConfigs.line;
import static io.gantry.server.config.TestConfigs.load;
import static io.gantry.server.config.TestConfigs.minimal;
import static io.gantry.server.config.TestConfigs.write;
import static io.gantry.server.config.TestConfigs.writeCa;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.gantry.proxy.route.RequestView;
import io.gantry.proxy.route.RouteTable;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigRoutesTest {
  @TempDir Path dir;

  /** The product spec's example, with the test strategies and files in the temp dir. */
  private static final String EXAMPLE = """
      gantry {
        listeners = [
          { name = https, port = 443 }
          { name = push,  port = 8086 }
          { name = plain, port = 8080, tls = false }
        ]
        tls {
          certificates = [
            { cert = tls/registry.pem, key = tls/registry.key }
            { keystore = tls/wildcard.p12, password = ${?GANTRY_P12_PASSWORD} }
          ]
          default-certificate = "registry.example.com"
        }
        upstreams {
          docker-group  = "http://127.0.0.1:8081/repository/docker-group/"
          docker-hosted = { url = "http://127.0.0.1:8081/repository/docker-hosted/", connect-timeout = 5s, idle-timeout = 5m, ca = ca.pem }
          nexus         = "http://127.0.0.1:8081/"
        }
        routes = [
          { listener = push, to = docker-hosted }
          { host = registry.example.com, method = [GET, HEAD], to = docker-group }
          { host = registry.example.com, to = docker-hosted }
          { host = nexus.example.com, path = ["/v2/", "/v1/"], method = [GET, HEAD], to = docker-group }
          { host = nexus.example.com, user-agent = "docker", to = docker-group }
          { host = nexus.example.com, user-agent { regex = "^docker/" }, to = docker-group }
          { host = nexus.example.com, header { name = X-Foo, contains = "bar" }, to = nexus }
          { host = "*.example.com", strategy = io.gantry.server.config.AlwaysStrategy, to = nexus }
          { host = "*.example.com", strategy { class = io.gantry.server.config.FlagStrategy, config { header = X-Team } }, to = nexus }
        ]
        trusted-proxies = []
        admin { host = 127.0.0.1, port = 9090, enabled = true }
        access-log { enabled = true, format = combined, path = null }
        shutdown-grace = 30s
        max-queued-per-upstream = 1024
      }
      """;

  private GantryConfig loadExample() {
    write(dir, "tls/registry.pem", "cert");
    write(dir, "tls/registry.key", "key");
    write(dir, "tls/wildcard.p12", "p12");
    writeCa(dir, "ca.pem");
    return load(write(dir, "gantry.conf", EXAMPLE));
  }

  @Test
  void exampleBuildsTheExpectedRouteTable() {
    GantryConfig c = loadExample();
    assertEquals(List.of(), c.warnings());
    String group = "http://127.0.0.1:8081/repository/docker-group/";
    String hosted = "http://127.0.0.1:8081/repository/docker-hosted/";
    String nexus = "http://127.0.0.1:8081/";
    assertEquals(String.join(System.lineSeparator(),
        "  1. route-1: listener(push) -> " + hosted,
        "  2. route-2: host(registry.example.com) && method(GET,HEAD) -> " + group,
        "  3. route-3: host(registry.example.com) -> " + hosted,
        "  4. route-4: host(nexus.example.com) && method(GET,HEAD) && path(/v2/,/v1/) -> " + group,
        "  5. route-5: host(nexus.example.com) && userAgent(docker) -> " + group,
        "  6. route-6: host(nexus.example.com) && userAgent(~/^docker\\//) -> " + group,
        "  7. route-7: host(nexus.example.com) && header(X-Foo contains bar) -> " + nexus,
        "  8. route-8: host(*.example.com) && always -> " + nexus,
        "  9. route-9: host(*.example.com) && flag(X-Team) -> " + nexus,
        ""), c.routeTable().toString());
    assertEquals(line(EXAMPLE, "header { name = X-Foo"), c.routes().get(6).line());
    assertEquals(3, c.upstreamsByName().size());
    assertTrue(c.upstreamsByName().get("docker-hosted").trustStore() != null);
  }

  @Test
  void exampleRoutesRequests() {
    RouteTable table = loadExample().routeTable();
    assertEquals("route-1", match(table, RequestView.builder().listenerName("push").method("PUT").host("x.example.com")));
    assertEquals("route-2", match(table, RequestView.builder().listenerName("https").method("HEAD").host("Registry.Example.com")));
    assertEquals("route-3", match(table, RequestView.builder().listenerName("https").method("PUT").host("registry.example.com")));
    assertEquals("route-4", match(table, RequestView.builder().listenerName("https").host("nexus.example.com").path("/v2/x")));
    assertEquals("route-5", match(table, RequestView.builder().listenerName("https").host("nexus.example.com")
        .path("/repository/x").header("User-Agent", "Docker-Client/24")));
    assertEquals("route-7", match(table, RequestView.builder().listenerName("https").host("nexus.example.com")
        .header("X-Foo", "foobar")));
    assertEquals("route-8", match(table, RequestView.builder().listenerName("https").host("ui.example.com")));
    assertNull(table.match(RequestView.builder().listenerName("https").host("other.org").build()));
  }

  private static String match(RouteTable table, RequestView.Builder request) {
    var route = table.match(request.build());
    return route == null ? null : route.name();
  }

  @Test
  void userStrategyWithAndWithoutConfigBlock() {
    GantryConfig c = load(write(dir, "gantry.conf", minimal("""
          routes = [
            { name = flagged, strategy { class = io.gantry.server.config.FlagStrategy, config { header = X-Canary } }, to = nexus }
            { name = default-flag, strategy = io.gantry.server.config.FlagStrategy, to = nexus }
            { name = always, strategy { class = io.gantry.server.config.AlwaysStrategy }, to = nexus }
          ]
        """)));
    assertEquals(new RouteConfig.UserStrategy("io.gantry.server.config.FlagStrategy",
        ConfigFactory.parseMap(Map.of("header", "X-Canary"))), c.routes().get(0).userStrategy());
    assertEquals("flag(X-Canary)", c.routes().get(0).strategy().toString());
    assertEquals("flag(X-Flag)", c.routes().get(1).strategy().toString());
    assertEquals("always", c.routes().get(2).strategy().toString());
    RouteTable table = c.routeTable();
    assertEquals("flagged", match(table, RequestView.builder().header("X-Canary", "1")));
    assertEquals("default-flag", match(table, RequestView.builder().header("X-Flag", "1")));
    assertEquals("always", match(table, RequestView.builder()));
  }

  @Test
  void userStrategyClassMissing() {
    String text = minimal("  routes = [ { strategy = com.example.MyStrategie, to = nexus } ]");
    Path file = write(dir, "gantry.conf", text);
    assertProblem(error(file), file, line(text, "MyStrategie"), "gantry.routes[0].strategy",
        "class com.example.MyStrategie not found (expected: a class on the class path implementing io.gantry.proxy.route.RouteStrategy)");
  }

  @Test
  void userStrategyNotARouteStrategy() {
    String text = minimal("  routes = [ { strategy { class = io.gantry.server.config.NotAStrategy }, to = nexus } ]");
    Path file = write(dir, "gantry.conf", text);
    assertProblem(error(file), file, line(text, "NotAStrategy"), "gantry.routes[0].strategy.class",
        "class io.gantry.server.config.NotAStrategy does not implement io.gantry.proxy.route.RouteStrategy");
  }

  @Test
  void userStrategyConstructorThrows() {
    String text = minimal("  routes = [ { strategy { class = io.gantry.server.config.FlagStrategy, config { header = \" \" } }, to = nexus } ]");
    Path file = write(dir, "gantry.conf", text);
    assertProblem(error(file), file, line(text, "FlagStrategy"), "gantry.routes[0].strategy.class",
        "class io.gantry.server.config.FlagStrategy: constructor failed: header: '' (expected: a header name)");
  }

  @Test
  void configBlockForAStrategyWithoutConfigConstructor() {
    String text = minimal("  routes = [ { strategy { class = io.gantry.server.config.AlwaysStrategy, config { a = 1 } }, to = nexus } ]");
    Path file = write(dir, "gantry.conf", text);
    assertProblem(error(file), file, line(text, "AlwaysStrategy"), "gantry.routes[0].strategy.class",
        "has no public constructor taking com.typesafe.config.Config, so its config block cannot be used");
  }

  @Test
  void shadowedRoutesAreWarnings() {
    String text = minimal("""
          routes = [
            { host = registry.example.com, to = nexus }
            { host = registry.example.com, method = [GET, HEAD], to = nexus }
            { host = "*.example.com", path = "/v2/", to = nexus }
            { host = ui.example.com, path = "/v2/x/", method = GET, to = nexus }
            { to = nexus }
            { host = other.org, to = nexus }
          ]
        """);
    Path file = write(dir, "gantry.conf", text);
    GantryConfig c = load(file);
    List<ConfigProblem> w = c.warnings();
    assertEquals(3, w.size(), w::toString);
    assertProblem(w.get(0), file, line(text, "method = [GET, HEAD]"), "gantry.routes[1]",
        "route 'route-2' can never match: route 'route-1' (line " + line(text, "{ host = registry.example.com, to") + ") comes first");
    assertProblem(w.get(1), file, line(text, "ui.example.com"), "gantry.routes[3]", "route 'route-4' can never match: route 'route-3'");
    assertProblem(w.get(2), file, line(text, "other.org"), "gantry.routes[5]", "route 'route-6' can never match: route 'route-5'");
  }

  @Test
  void routesOnDifferentListenersDoNotShadow() {
    GantryConfig c = load(write(dir, "gantry.conf", minimal("""
          listeners = [ { name = a, port = 8080, tls = false }, { name = b, port = 8081, tls = false } ]
          routes = [
            { listener = a, to = nexus }
            { listener = b, to = nexus }
            { listener = [a, b], user-agent = docker, to = nexus }
            { header { name = X-Foo, regex = "x" }, to = nexus }
            { header { name = x-foo, regex = "x" }, method = GET, to = nexus }
          ]
        """)));
    // route-3 is covered only by route-1 and route-2 together, which is not detected (pairwise check)
    assertEquals(1, c.warnings().size(), () -> c.warnings().toString());
    assertEquals("gantry.routes[4]", c.warnings().get(0).path());
    assertTrue(c.warnings().get(0).message().contains("route 'route-4'"), () -> c.warnings().toString());
  }

  @Test
  void headerRulesPerRouteReachTheLibraryRoute() {
    String text = minimal("""
          routes = [ { to = nexus, headers {
            request { set { X-Team = a }, add { X-Trace = [on, twice] }, remove = [Cookie] }
            response { add { X-Frame-Options = DENY }, remove = [X-Powered-By] }
          } } ]
        """);
    GantryConfig c = load(write(dir, "gantry.conf", text));
    var route = c.routeTable().routes().get(0);
    assertEquals("set X-Team: a; add X-Trace: on; add X-Trace: twice; remove Cookie", route.requestHeaders().toString());
    assertEquals("add X-Frame-Options: DENY; remove X-Powered-By", route.responseHeaders().toString());
  }

  @Test
  void headerRulesThatWouldForgeForwardingHeadersAreErrorsAtTheirKey() {
    String text = minimal("""
          routes = [ { to = nexus, headers {
            request { set { X-Forwarded-For = "1.2.3.4" } }
            response { add { Content-Length = "0" }, remoev = [x] }
          } } ]
        """);
    Path file = write(dir, "gantry.conf", text);
    List<ConfigProblem> errors = TestConfigs.errors(file);
    assertEquals(3, errors.size(), errors::toString);
    assertProblem(TestConfigs.find(errors, "gantry.routes[0].headers.request.set.X-Forwarded-For"), file,
        line(text, "X-Forwarded-For"), "gantry.routes[0].headers.request.set.X-Forwarded-For",
        "'X-Forwarded-For' (expected: a header gantry does not own");
    assertProblem(TestConfigs.find(errors, "gantry.routes[0].headers.response.add.Content-Length"), file,
        line(text, "Content-Length"), "gantry.routes[0].headers.response.add.Content-Length",
        "'Content-Length' (expected: an end-to-end header");
    assertProblem(TestConfigs.find(errors, "gantry.routes[0].headers.response.remoev"), file,
        line(text, "remoev"), "gantry.routes[0].headers.response.remoev",
        "unknown key (expected one of: set, add, remove; did you mean 'remove'?)");
  }
}
