package io.gantry.server.config;

import static io.gantry.server.config.TestConfigs.assertProblem;
import static io.gantry.server.config.TestConfigs.error;
import static io.gantry.server.config.TestConfigs.line;
import static io.gantry.server.config.TestConfigs.load;
import static io.gantry.server.config.TestConfigs.minimal;
import static io.gantry.server.config.TestConfigs.write;
import static io.gantry.server.config.TestConfigs.writeCa;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gantry.proxy.route.RequestView;
import io.gantry.proxy.upstream.Upstream;
import io.gantry.server.accesslog.AccessLog;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  @TempDir Path dir;

  @Test
  void minimalFileGivesDefaults() {
    GantryConfig c = load(write(dir, "gantry.conf", minimal("")));

    assertEquals(List.of(new ListenerConfig("http", "0.0.0.0", 8080, false, 0,
        new ListenerConfig.Hsts(false, Duration.ofDays(365), false), false,
        new ListenerConfig.ProxyProtocol(false, List.of()), new ListenerConfig.Limits(32 * 1024, 128, 128),
        c.listeners().get(0).file(), 1)),
        c.listeners().stream().map(l -> new ListenerConfig(l.name(), l.host(), l.port(), l.tls(), l.redirectTo(),
            l.hsts(), l.http2(), l.proxyProtocol(), l.limits(), l.file(), 1)).toList());
    // The JDK's TLS unless a run sets GANTRY_TLS_PROVIDER (the tls-conscrypt execution does).
    TlsConfig.Provider provider = TlsConfig.Provider.valueOf(
        System.getProperty("GANTRY_TLS_PROVIDER", "jdk").toUpperCase(java.util.Locale.ROOT));
    assertEquals(new TlsConfig(List.of(), null, null, provider), c.tls());
    assertEquals(new AdminConfig(true, "127.0.0.1", 9090), c.admin());
    assertEquals(new AccessLogConfig(true, AccessLog.Format.COMBINED, null), c.accessLog());
    assertEquals(Duration.ofSeconds(30), c.shutdownGrace());
    assertEquals(1024, c.maxQueuedPerUpstream());
    assertEquals(GantryConfig.Engine.HANDLER, c.engine());
    assertEquals(GantryConfig.AUTO_THREADS, c.maxThreads());
    assertEquals(new ReloadConfig(true, Duration.ofSeconds(1)), c.reload());
    assertEquals(List.of(), c.trustedProxies());
    assertEquals(List.of(), c.warnings());
    Upstream nexus = c.upstreamsByName().get("nexus");
    assertEquals(Duration.ofSeconds(5), nexus.connectTimeout());
    assertEquals(Duration.ofMinutes(5), nexus.idleTimeout());
    assertNull(nexus.trustStore());
    RouteConfig route = c.routes().get(0);
    assertEquals("route-1", route.name());
    assertFalse(route.allowEncodedSlashes());
    assertEquals(io.gantry.proxy.route.AccessRules.NONE, route.access());
    assertEquals(ClientLimitsConfig.NONE, c.clientLimits());
    assertEquals(line(minimal(""), "to = nexus"), route.line());
    assertEquals(dir.resolve("gantry.conf"), c.file());
    assertSame(c.forwardedHeaders(), io.gantry.proxy.header.ForwardedHeaders.NONE_TRUSTED);
  }

  @Test
  void fullFileSetsEveryKey() {
    write(dir, "tls/registry.pem", "cert");
    write(dir, "tls/registry.key", "key");
    write(dir, "tls/wildcard.p12", "p12");
    writeCa(dir, "ca/ca.pem");
    String text = """
        gantry {
          listeners = [
            { name = https, port = 443, host = "10.0.0.1", hsts { max-age = 1d, include-subdomains = true } }
            { name = push, port = 8086, hsts = true, http2 = true, proxy-protocol = true, proxy-protocol-from = ["10.1.0.0/16", "10.2.0.5"]
              max-request-header-size = 64KiB, http2-max-concurrent-streams = 32, http2-max-events-per-second = 50 }
            { name = plain, port = 8080, tls = false, redirect-to = 443 }
          ]
          tls {
            certificates = [
              { cert = tls/registry.pem, key = tls/registry.key }
              { keystore = tls/wildcard.p12, password = secret }
            ]
            default-certificate = "registry.example.com"
          }
          upstreams {
            group = "http://127.0.0.1:8081/repository/docker-group/"
            hosted = { url = "https://nexus.internal/repository/docker-hosted/", connect-timeout = 3s, idle-timeout = 2m, ca = ca/ca.pem }
          }
          routes = [
            { name = push, listener = push, to = hosted, allow-encoded-slashes = true }
            { host = registry.example.com, to = group }
          ]
          trusted-proxies = ["10.0.0.0/8", "fd00::/8"]
          admin { host = "0.0.0.0", port = 9191, enabled = false }
          access-log { enabled = false, format = json, path = logs/access.log }
          shutdown-grace = 10s
          max-queued-per-upstream = 16
          engine = servlet
          max-threads = 64
        }
        """;
    GantryConfig c = load(write(dir, "gantry.conf", text));

    assertEquals(List.of(), c.warnings());
    ListenerConfig https = c.listener("https");
    assertEquals("10.0.0.1", https.host());
    assertEquals(443, https.port());
    assertTrue(https.tls());
    assertEquals(new ListenerConfig.Hsts(true, Duration.ofDays(1), true), https.hsts());
    assertEquals("max-age=86400; includeSubDomains", https.hsts().headerValue());
    assertEquals(new ListenerConfig.Hsts(true, Duration.ofDays(365), false), c.listener("push").hsts());
    assertEquals(new ListenerConfig.ProxyProtocol(true, List.of("10.1.0.0/16", "10.2.0.5")), c.listener("push").proxyProtocol());
    assertEquals(new ListenerConfig.Limits(64 * 1024, 32, 50), c.listener("push").limits());
    assertEquals(ListenerConfig.NO_PROXY_PROTOCOL, https.proxyProtocol());
    assertEquals(ListenerConfig.DEFAULT_LIMITS, https.limits());
    ListenerConfig plain = c.listener("plain");
    assertFalse(plain.tls());
    assertEquals(443, plain.redirectTo());
    assertTrue(plain.redirects());
    assertEquals(line(text, "name = plain"), plain.line());

    assertEquals(List.of(
        CertificateConfig.pem(dir.resolve("tls/registry.pem"), dir.resolve("tls/registry.key"), c.tls().certificates().get(0).file(), line(text, "registry.pem")),
        CertificateConfig.keystore(dir.resolve("tls/wildcard.p12"), "secret", c.tls().certificates().get(1).file(), line(text, "wildcard.p12"))),
        c.tls().certificates());
    assertEquals("registry.example.com", c.tls().defaultCertificate());
    assertNull(c.tls().selfSigned());

    assertEquals(List.of("group", "hosted"), List.copyOf(c.upstreams().keySet()));
    Upstream hosted = c.upstreamsByName().get("hosted");
    assertEquals(Duration.ofSeconds(3), hosted.connectTimeout());
    assertEquals(Duration.ofMinutes(2), hosted.idleTimeout());
    assertNotNull(hosted.trustStore());
    assertEquals(dir.resolve("ca/ca.pem"), c.upstreams().get("hosted").ca());

    RouteConfig push = c.routes().get(0);
    assertEquals("push", push.name());
    assertEquals(List.of("push"), push.listeners());
    assertTrue(push.allowEncodedSlashes());
    assertEquals("route-2", c.routes().get(1).name());

    assertEquals(List.of("10.0.0.0/8", "fd00::/8"), c.trustedProxies());
    assertTrue(c.forwardedHeaders().isTrusted("10.1.2.3"));
    assertFalse(c.forwardedHeaders().isTrusted("192.168.1.1"));
    assertEquals(new AdminConfig(false, "0.0.0.0", 9191), c.admin());
    assertEquals(new AccessLogConfig(false, AccessLog.Format.JSON, dir.resolve("logs/access.log")), c.accessLog());
    assertEquals(Duration.ofSeconds(10), c.shutdownGrace());
    assertEquals(16, c.maxQueuedPerUpstream());
    assertEquals(GantryConfig.Engine.SERVLET, c.engine());
    assertEquals(64, c.maxThreads());
  }

  @Test
  void selfSignedTrueTakesDefaults() {
    GantryConfig c = load(write(dir, "conf/gantry.conf", minimal("""
          listeners = [ { name = https, port = 0 } ]
          tls.self-signed = true
        """)));
    assertEquals(new TlsConfig.SelfSigned(List.of("localhost"), dir.resolve("conf/tls")), c.tls().selfSigned());
    assertTrue(c.tls().hasCertificates());
  }

  @Test
  void selfSignedObjectAndListenerDefaultsCanBeChanged() {
    GantryConfig c = load(write(dir, "gantry.conf", minimal("""
          listeners = [ { name = https, port = 0 } ]
          tls.self-signed { hosts = [localhost, "registry.local"], dir = "/var/lib/gantry/tls" }
          defaults.listener { host = "127.0.0.1", hsts.enabled = true }
          defaults.upstream.connect-timeout = 1s
        """)));
    assertEquals(new TlsConfig.SelfSigned(List.of("localhost", "registry.local"), Path.of("/var/lib/gantry/tls")),
        c.tls().selfSigned());
    assertEquals("127.0.0.1", c.listeners().get(0).host());
    assertTrue(c.listeners().get(0).hsts().enabled());
    assertEquals(Duration.ofSeconds(1), c.upstreamsByName().get("nexus").connectTimeout());
  }

  @Test
  void substitutionsComeFromVariablesAndSystemProperties() {
    write(dir, "wildcard.p12", "p12");
    Path file = write(dir, "gantry.conf", minimal("""
          listeners = [ { name = https, port = 0 } ]
          tls.certificates = [ { keystore = wildcard.p12, password = ${?GANTRY_TEST_P12_PASSWORD} } ]
          admin.port = ${?GANTRY_TEST_ADMIN_PORT}
        """));

    GantryConfig unset = load(file);
    assertNull(unset.tls().certificates().get(0).password());
    assertEquals(9090, unset.admin().port());

    GantryConfig fromVariables = ConfigLoader.defaults()
        .withVariables(Map.of("GANTRY_TEST_P12_PASSWORD", "s3cret", "GANTRY_TEST_ADMIN_PORT", "9999"))
        .load(file);
    assertEquals("s3cret", fromVariables.tls().certificates().get(0).password());
    assertEquals(9999, fromVariables.admin().port());
    assertFalse(fromVariables.tls().certificates().get(0).toString().contains("s3cret"));

    System.setProperty("GANTRY_TEST_P12_PASSWORD", "from-property");
    try {
      assertEquals("from-property", load(file).tls().certificates().get(0).password());
    } finally {
      System.clearProperty("GANTRY_TEST_P12_PASSWORD");
    }
  }

  @Test
  void requiredSubstitutionMissingIsAnError() {
    String text = minimal("  admin.port = ${GANTRY_TEST_UNSET_VARIABLE}");
    Path file = write(dir, "gantry.conf", text);
    ConfigProblem p = error(file);
    assertProblem(p, file, line(text, "GANTRY_TEST_UNSET_VARIABLE"), "", "GANTRY_TEST_UNSET_VARIABLE", "${?NAME}");
  }

  @Test
  void hoconSyntaxErrorHasFileAndLine() {
    String text = """
        gantry {
          upstreams { nexus = "http://127.0.0.1:8081/" }
          routes = [ { to = nexus } ]
          admin { port = 9090
        """;
    Path file = write(dir, "gantry.conf", text);
    ConfigProblem p = error(file);
    assertEquals(file.toString(), p.file());
    assertTrue(p.line() >= 4, p::toString);
    assertFalse(p.message().startsWith(file.toString()), p::toString);
  }

  @Test
  void missingFileIsAProblem() {
    Path file = dir.resolve("nope.conf");
    InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> load(file));
    assertEquals(1, e.errors().size());
    assertTrue(e.errors().get(0).message().contains("expected: a readable HOCON file"), e::getMessage);
  }

  @Test
  void warningsDoNotStopLoadingAndCheckListsThem() {
    String text = minimal("""
          upstreams { spare = "http://127.0.0.1:8082/" }
          gantri = 1
        """);
    Path file = write(dir, "gantry.conf", text.replace("  gantri = 1\n", "") + "gantri = 1\n");
    GantryConfig c = load(file);
    assertEquals(2, c.warnings().size(), () -> c.warnings().toString());
    ConfigProblem unknownRoot = TestConfigs.find(c.warnings(), "gantri");
    assertTrue(unknownRoot.message().contains("did you mean 'gantry'?"), unknownRoot::toString);
    ConfigProblem unused = TestConfigs.find(c.warnings(), "gantry.upstreams.spare");
    assertEquals(ConfigProblem.Severity.WARNING, unused.severity());
    assertTrue(unused.toString().contains(": warning: gantry.upstreams.spare: upstream 'spare' is not used"), unused::toString);
    assertEquals(c.warnings(), ConfigLoader.defaults().check(file));
  }

  @Test
  void routeTableMatchesRequests() {
    GantryConfig c = load(write(dir, "gantry.conf", """
        gantry {
          listeners = [ { name = plain, port = 8080, tls = false }, { name = push, port = 8086, tls = false } ]
          upstreams { group = "http://127.0.0.1:8081/repository/docker-group/", hosted = "http://127.0.0.1:8081/repository/docker-hosted/" }
          routes = [
            { listener = push, to = hosted }
            { method = [GET, HEAD], to = group }
            { to = hosted }
          ]
        }
        """));
    var table = c.routeTable();
    assertEquals("route-1", table.match(RequestView.builder().method("GET").listenerName("push").build()).name());
    assertEquals("route-2", table.match(RequestView.builder().method("HEAD").listenerName("plain").build()).name());
    assertEquals("route-3", table.match(RequestView.builder().method("PUT").listenerName("plain").build()).name());
    assertSame(c.upstreamsByName().get("hosted"), table.routes().get(0).upstream());
  }

  /** Edge controls: route access rules over gantry.defaults.route, client limits, admin protection. */
  @Test
  void edgeControlsFromTheFile() {
    GantryConfig c = load(write(dir, "gantry.conf", """
        gantry {
          upstreams { nexus = "http://127.0.0.1:8081/" }
          defaults.route.deny-paths = ["/service/rest/v1/script"]
          routes = [
            { name = office, to = nexus, allow-from = ["10.0.0.0/8"], deny-from = "10.9.0.0/16" }
            { name = public, to = nexus, client-limits { max-concurrent = 2 } }
          ]
          client-limits { max-concurrent = 8, rate = 50, burst = 200, max-clients = 1000 }
          admin { allow-from = ["127.0.0.1"], basic-auth { user = ops, password = "s3cret" } }
        }
        """));
    io.gantry.proxy.route.AccessRules office = c.routes().get(0).access();
    assertEquals("allow-from 10.0.0.0/8; deny-from 10.9.0.0/16; deny-paths /service/rest/v1/script/", office.toString());
    assertEquals("deny-paths /service/rest/v1/script/", c.routes().get(1).access().toString());
    assertEquals(new ClientLimitsConfig(8, 50, 200, 1000), c.clientLimits());
    assertNull(c.routes().get(0).clientLimits());
    assertEquals(new ClientLimitsConfig(2, 0, 100, 100000), c.routes().get(1).clientLimits());
    assertEquals(2, c.routeTable().routes().get(1).clientLimits().maxConcurrent());
    assertEquals(List.of("127.0.0.1"), c.admin().allowFrom());
    assertEquals(new AdminConfig.BasicAuth("ops", "s3cret"), c.admin().basicAuth());
    assertFalse(c.admin().toString().contains("s3cret"), c.admin().toString());
    assertTrue(c.routeTable().routes().get(0).toString().contains("[access: allow-from 10.0.0.0/8"));
  }
}
