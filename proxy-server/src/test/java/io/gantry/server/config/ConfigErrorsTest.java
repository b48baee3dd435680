package io.gantry.server.config;

import static io.gantry.server.config.TestConfigs.assertProblem;
import static io.gantry.server.config.TestConfigs.error;
import static io.gantry.server.config.TestConfigs.errors;
import static io.gantry.server.config.TestConfigs.find;
import static io.gantry.server.config.TestConfigs.line;
import static io.gantry.server.config.TestConfigs.minimal;
import static io.gantry.server.config.TestConfigs.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** One test per kind of error: file, line, key path and what was expected. */
class ConfigErrorsTest {
  @TempDir Path dir;

  private static final String UPSTREAMS = """
        upstreams {
          docker-group  = "http://127.0.0.1:8081/repository/docker-group/"
          docker-hosted = "http://127.0.0.1:8081/repository/docker-hosted/"
          nexus         = "http://127.0.0.1:8081/"
        }
      """;

  @Test
  void routeToUndefinedUpstreamSuggestsTheClosest() {
    String text = """
        gantry {
        %s
          routes = [
            { host = registry.example.com, method = [GET, HEAD], to = docker-group }
            { host = registry.example.com, to = docker-hosted }
            { host = nexus.example.com, to = docker-grp }
            { to = nexus }
          ]
        }
        """.formatted(UPSTREAMS);
    Path file = write(dir, "gantry.conf", text);
    ConfigProblem p = error(file);
    assertProblem(p, file, line(text, "docker-grp"), "gantry.routes[2].to",
        "upstream 'docker-grp' is not defined (expected one of: docker-group, docker-hosted, nexus; did you mean 'docker-group'?)");
    assertEquals(file + ":" + line(text, "docker-grp") + ": gantry.routes[2].to: upstream 'docker-grp' is not defined"
        + " (expected one of: docker-group, docker-hosted, nexus; did you mean 'docker-group'?)", p.toString());
  }

  @Test
  void routeWithoutToIsAnError() {
    String text = minimal("  routes = [ { to = nexus }, {\n    host = a.example.com\n  } ]");
    Path file = write(dir, "gantry.conf", text);
    assertProblem(error(file), file, line(text, "to = nexus }, {"), "gantry.routes[1].to",
        "missing (expected: the name of an upstream: nexus)");
  }

  @Test
  void routeToUndefinedListener() {
    String text = minimal("""
          listeners = [ { name = plain, port = 8080, tls = false }, { name = push, port = 8086, tls = false } ]
          routes = [ { listener = [plain, pussh], to = nexus } ]
        """);
    Path file = write(dir, "gantry.conf", text);
    assertProblem(error(file), file, line(text, "pussh"), "gantry.routes[0].listener[1]",
        "listener 'pussh' is not defined (expected one of: plain, push; did you mean 'push'?)");
  }

  @Test
  void unknownKeySuggestsTheKnownOne() {
    String text = minimal("""
          listeners = [ { name = plain, port = 8080, tsl = false } ]
        """);
    Path file = write(dir, "gantry.conf", text);
    List<ConfigProblem> errors = errors(file);
    assertProblem(find(errors, "gantry.listeners[0].tsl"), file, line(text, "tsl"), "gantry.listeners[0].tsl",
        "unknown key (expected one of: name, port, host, tls, redirect-to, hsts, http2, proxy-protocol, proxy-protocol-from,"
        + " max-request-header-size, http2-max-concurrent-streams, http2-max-events-per-second; did you mean 'tls'?)");
  }

  @Test
  void unknownKeyAtTheTopOfGantry() {
    String text = minimal("  shutdown-grase = 10s");
    Path file = write(dir, "gantry.conf", text);
    assertProblem(error(file), file, line(text, "shutdown-grase"), "gantry.shutdown-grase",
        "unknown key", "did you mean 'shutdown-grace'?");
  }

  @Test
  void unknownEngineNamesTheChoices() {
    String text = minimal("  engine = servelt");
    Path file = write(dir, "gantry.conf", text);
    assertProblem(error(file), file, line(text, "servelt"), "gantry.engine",
        "'servelt' (expected one of: handler, servlet; did you mean 'servlet'?)");
  }

  @Test
  void unknownTlsProviderNamesTheChoices() {
    String text = minimal("  tls.provider = boringssl");
    Path file = write(dir, "gantry.conf", text);
    assertProblem(error(file), file, line(text, "boringssl"), "gantry.tls.provider",
        "'boringssl' (expected one of: auto, conscrypt, jdk");
  }

  @Test
  void tlsProviderIsRead() {
    Path file = write(dir, "gantry.conf", minimal("  tls.provider = JDK"));
    assertEquals(io.gantry.server.config.TlsConfig.Provider.JDK, TestConfigs.load(file).tls().provider());
  }

  @Test
  void reloadSettingsAreRead() {
    Path file = write(dir, "gantry.conf", minimal("  reload { watch = off, debounce = 250ms }"));
    assertEquals(new ReloadConfig(false, java.time.Duration.ofMillis(250)), TestConfigs.load(file).reload());
  }

  @Test
  void reloadSettingsAreChecked() {
    String text = minimal("  reload {\n    watch = maybe\n    debounce = 0s\n    debounse = 2s\n  }");
    Path file = write(dir, "gantry.conf", text);
    List<ConfigProblem> problems = errors(file);
    assertProblem(find(problems, "gantry.reload.watch"), file, line(text, "watch = maybe"), "gantry.reload.watch",
        "'maybe' (expected: true or false)");
    assertProblem(find(problems, "gantry.reload.debounce"), file, line(text, "debounce = 0s"), "gantry.reload.debounce",
        "more than 0");
    assertProblem(find(problems, "gantry.reload.debounse"), file, line(text, "debounse"), "gantry.reload.debounse",
        "debounce");
    String tooLong = minimal("  reload { debounce = 1h }");
    Path second = write(dir, "second.conf", tooLong);
    assertProblem(error(second), second, line(tooLong, "debounce = 1h"), "gantry.reload.debounce", "at most 10m");
  }

  @Test
  void tooFewThreadsIsRefused() {
    String text = minimal("  max-threads = 4");
    Path file = write(dir, "gantry.conf", text);
    assertProblem(error(file), file, line(text, "max-threads"), "gantry.max-threads",
        "4 (expected: auto or a number of threads >= 16; acceptors and selectors take some)");
  }

  @Test
  void unknownKeyWithoutCloseMatchListsTheKnownKeys() {
    String text = minimal("  admin { colour = blue }");
    Path file = write(dir, "gantry.conf", text);
    ConfigProblem p = error(file);
    assertProblem(p, file, line(text, "colour"), "gantry.admin.colour", "unknown key (expected one of: enabled, host, port, allow-from, basic-auth)");
  }

  @Test
  void wrongTypes() {
    String text = minimal("""
          listeners = [ { name = plain, port = eighty, tls = maybe } ]
          shutdown-grace = soon
          max-queued-per-upstream = [1]
          trusted-proxies = { a = 1 }
        """);
    Path file = write(dir, "gantry.conf", text);
    List<ConfigProblem> errors = errors(file);
    assertEquals(5, errors.size(), errors::toString);
    assertProblem(find(errors, "gantry.listeners[0].port"), file, line(text, "eighty"), "gantry.listeners[0].port",
        "'eighty' (expected: a port number 1-65535, or 0 for any free port)");
    assertProblem(find(errors, "gantry.listeners[0].tls"), file, line(text, "maybe"), "gantry.listeners[0].tls",
        "'maybe' (expected: true or false)");
    assertProblem(find(errors, "gantry.shutdown-grace"), file, line(text, "soon"), "gantry.shutdown-grace",
        "'soon' (expected: a duration such as 30s, 5m or 1h)");
    assertProblem(find(errors, "gantry.max-queued-per-upstream"), file, line(text, "[1]"), "gantry.max-queued-per-upstream",
        "list [1] (expected: a number of requests >= 1)");
    assertProblem(find(errors, "gantry.trusted-proxies"), file, line(text, "a = 1"), "gantry.trusted-proxies",
        "(expected: a string or a list of strings)");
  }

  @Test
  void listenerWithoutPort() {
    String text = minimal("  listeners = [ { name = plain, tls = false } ]");
    Path file = write(dir, "gantry.conf", text);
    assertProblem(error(file), file, line(text, "name = plain"), "gantry.listeners[0].port", "missing (expected: a port number");
  }

  @ParameterizedTest
  @CsvSource({"-1", "65536", "100000"})
  void invalidPort(String port) {
    String text = minimal("  listeners = [ { name = plain, tls = false, port = " + port + " } ]");
    Path file = write(dir, "gantry.conf", text);
    assertProblem(error(file), file, line(text, "port = " + port), "gantry.listeners[0].port",
        port + " (expected: a port number 1-65535, or 0 for any free port)");
  }

  @Test
  void twoListenersOnOnePortButPortZeroIsFine() {
    String text = minimal("""
          listeners = [
            { name = a, port = 8080, tls = false }
            { name = b, port = 0, tls = false }
            { name = c, port = 0, tls = false }
            { name = d, port = 8080, tls = false }
          ]
        """);
    Path file = write(dir, "gantry.conf", text);
    assertProblem(error(file), file, line(text, "name = d"), "gantry.listeners[3].port",
        "8080 is already used by gantry.listeners[0] (line " + line(text, "name = a") + ") (expected: one listener per port)");
  }

  @Test
  void adminOnAListenerPort() {
    String text = minimal("""
          listeners = [ { name = a, port = 9090, tls = false } ]
        """);
    Path file = write(dir, "gantry.conf", text);
    ConfigProblem p = error(file);
    assertEquals("gantry.admin.port", p.path());
    assertTrue(p.message().contains("9090 is already used by listener 'a'"), p::toString);
    // the default port comes from reference.conf: reported at the user's gantry block
    assertEquals(file.toString(), p.file());
    assertEquals(1, p.line());
  }

  @Test
  void duplicateListenerNames() {
    String text = minimal("""
          listeners = [
            { name = web, port = 8080, tls = false }
            { name = web, port = 8081, tls = false }
          ]
        """);
    Path file = write(dir, "gantry.conf", text);
    assertProblem(error(file), file, line(text, "port = 8081"), "gantry.listeners[1].name",
        "'web' is already the name of gantry.listeners[0] (line " + line(text, "port = 8080") + ") (expected: unique listener names)");
  }

  @Test
  void duplicateRouteNames() {
    String text = minimal("""
          routes = [
            { name = pull, method = GET, to = nexus }
            { name = pull, to = nexus }
          ]
        """);
    Path file = write(dir, "gantry.conf", text);
    assertProblem(error(file), file, line(text, "name = pull, to"), "gantry.routes[1].name", "'pull' is already the name of gantry.routes[0]");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "host = \"a..b\"                | host   | 'a..b' (expected: a host name of letters, digits and hyphens",
      "host = \"*.com\"               | host   | '*.com' (expected: a wildcard over a domain with at least two labels",
      "host = [a.example.com, A.example.com] | host | at index 1 repeats index 0",
      "host = []                      | host   | none given (expected: at least one)",
      "method = \"GE T\"              | method | 'GE T' (expected: an HTTP method token such as GET)",
      "path = v2                      | path   | 'v2' (expected: starts with '/')",
      "path = \"/v2/../x\"            | path   | (expected: a normalised path prefix such as /v2/)",
  })
  void invalidConditionsFromTheLibrary(String condition, String key, String expected) {
    String text = minimal("  routes = [ {\n    " + condition + "\n    to = nexus\n  } ]");
    Path file = write(dir, "gantry.conf", text);
    assertProblem(error(file), file, line(text, condition), "gantry.routes[0]." + key, expected);
  }

  @Test
  void invalidRegexes() {
    String text = minimal("""
          routes = [
            { user-agent { regex = "docker(" }, to = nexus }
            { header { name = X-Foo, regex = "[a-" }, to = nexus }
            { header { name = "X Foo", contains = bar }, to = nexus }
            { user-agent { contains = a, regex = b }, to = nexus }
          ]
        """);
    Path file = write(dir, "gantry.conf", text);
    List<ConfigProblem> errors = errors(file);
    assertEquals(4, errors.size(), errors::toString);
    assertProblem(find(errors, "gantry.routes[0].user-agent.regex"), file, line(text, "docker("),
        "gantry.routes[0].user-agent.regex", "'docker(' (expected: a valid regular expression");
    assertProblem(find(errors, "gantry.routes[1].header.regex"), file, line(text, "[a-"),
        "gantry.routes[1].header.regex", "'[a-' (expected: a valid regular expression");
    assertProblem(find(errors, "gantry.routes[2].header.name"), file, line(text, "X Foo"),
        "gantry.routes[2].header.name", "'X Foo' (expected: a header name such as X-Team)");
    assertProblem(find(errors, "gantry.routes[3].user-agent"), file, line(text, "contains = a, regex = b"),
        "gantry.routes[3].user-agent", "both contains and regex (expected: exactly one of");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "ftp://nexus/                     | (expected: an http:// or https:// URL)",
      "http://user:pw@nexus/            | without user info",
      "http://nexus/x?y=1               | (expected: no query or fragment)",
      "nexus:8081                       | (expected: an http:// or https:// URL)",
  })
  void invalidUpstreamUrl(String url, String expected) {
    String text = "gantry {\n  upstreams {\n    nexus = \"" + url + "\"\n  }\n  routes = [ { to = nexus } ]\n}\n";
    Path file = write(dir, "gantry.conf", text);
    assertProblem(error(file), file, 3, "gantry.upstreams.nexus", "'" + url + "'", expected);
  }

  /**
   * The library's typed refusals land at the key that gave the value, printed whole: file, line,
   * key, the value and what was expected, without the library's name for the setting.
   */
  @Test
  void libraryRefusalsNameFileLineAndKey() {
    String text = """
        gantry {
          upstreams {
            nexus { url = "ftp://nexus/" }
            hosted = "http://nexus/x?y=1"
          }
          routes = [
            { path = [/v2/, v1], to = nexus }
            { host = "*.com", to = hosted }
            { header { name = "X Team", contains = a }, to = nexus }
          ]
        }
        """;
    Path file = write(dir, "gantry.conf", text);
    List<String> printed = errors(file).stream().map(ConfigProblem::toString).toList();
    assertEquals(List.of(
        file + ":3: gantry.upstreams.nexus.url: 'ftp://nexus/' (expected: an http:// or https:// URL)",
        file + ":4: gantry.upstreams.hosted: 'http://nexus/x?y=1' (expected: no query or fragment)",
        file + ":7: gantry.routes[0].path: 'v1' (expected: starts with '/')",
        file + ":8: gantry.routes[1].host: '*.com' (expected: a wildcard over a domain with at least two labels,"
            + " such as *.example.com)",
        file + ":9: gantry.routes[2].header.name: 'X Team' (expected: a header name such as X-Team)"), printed);
  }

  @Test
  void invalidUpstreamObject() {
    String text = minimal("""
          upstreams {
            hosted { url = "http://127.0.0.1:8081/", connect-timeout = 0s, ca = missing-ca.pem }
            other { connect-timeout = 1s }
          }
          routes = [ { to = nexus }, { path = /x/, to = hosted }, { path = /y/, to = other } ]
        """);
    Path file = write(dir, "gantry.conf", text);
    List<ConfigProblem> errors = errors(file);
    assertEquals(3, errors.size(), errors::toString);
    int hosted = line(text, "hosted {");
    assertProblem(find(errors, "gantry.upstreams.hosted.connect-timeout"), file, hosted,
        "gantry.upstreams.hosted.connect-timeout", "'0s' (expected: a duration such as 30s, 5m or 1h, more than 0)");
    assertProblem(find(errors, "gantry.upstreams.hosted.ca"), file, hosted, "gantry.upstreams.hosted.ca",
        "file " + dir.resolve("missing-ca.pem") + " does not exist (expected: a readable PEM file of CA certificates)");
    assertProblem(find(errors, "gantry.upstreams.other.url"), file, line(text, "other {"), "gantry.upstreams.other.url",
        "missing (expected: a URL");
  }

  @Test
  void invalidUpstreamPool() {
    String text = minimal("""
          upstreams {
            pair { urls = ["http://a:8081/r/", "http://b:8081/other/"] }
            both { url = "http://a/", urls = ["http://b/"], balance = random }
            checked { urls = ["http://a/"], failure-statuses = [404], health-check { path = /s, expect = "2xx", every = 1s } }
          }
          routes = [ { to = nexus }, { path = /x/, to = pair }, { path = /y/, to = both }, { path = /z/, to = checked } ]
        """);
    Path file = write(dir, "gantry.conf", text);
    List<ConfigProblem> errors = errors(file);
    assertProblem(find(errors, "gantry.upstreams.pair.urls"), file, line(text, "pair {"), "gantry.upstreams.pair.urls",
        "(expected: the instances of one upstream share scheme and path, differing in host or port)");
    assertProblem(find(errors, "gantry.upstreams.both.urls"), file, line(text, "both {"), "gantry.upstreams.both.urls",
        "given with url (expected: url for one instance, or urls for several)");
    assertProblem(find(errors, "gantry.upstreams.both.balance"), file, line(text, "both {"), "gantry.upstreams.both.balance",
        "'random'", "round-robin");
    int checked = line(text, "checked {");
    assertProblem(find(errors, "gantry.upstreams.checked.failure-statuses[0]"), file, checked,
        "gantry.upstreams.checked.failure-statuses[0]", "'404' (expected: a 5xx status such as 502)");
    assertProblem(find(errors, "gantry.upstreams.checked.health-check.every"), file, checked,
        "gantry.upstreams.checked.health-check.every", "interval");
    assertProblem(find(errors, "gantry.upstreams.checked.health-check.expect"), file, checked,
        "gantry.upstreams.checked.health-check.expect", "'2xx' (expected: statuses and ranges such as 200-399");
    assertEquals(6, errors.size(), errors::toString);
  }

  @Test
  void upstreamPoolWithAllSettings() {
    String text = minimal("""
          upstreams.nexus {
            urls = ["http://nexus-a:8081/repository/docker-group/", "http://nexus-b:8081/repository/docker-group/"]
            balance = least-requests, sticky = true, eject-after = 3, ejection = 1s, max-ejection = 1m
            failure-statuses = [500, 503], retries = 2, max-connections = 64
            health-check { path = "/service/rest/v1/status", interval = 3s, timeout = 1s, expect = "200,204", unhealthy-after = 3 }
          }
          routes = [ { to = nexus } ]
        """);
    io.gantry.proxy.upstream.Upstream u = TestConfigs.load(write(dir, "gantry.conf", text)).upstreamsByName().get("nexus");
    assertEquals(2, u.instances().size());
    assertEquals(io.gantry.proxy.upstream.Balance.LEAST_REQUESTS, u.balance());
    assertTrue(u.sticky());
    assertEquals(3, u.ejectAfter());
    assertEquals(java.time.Duration.ofMinutes(1), u.maxEjection());
    assertEquals(java.util.Set.of(500, 503), u.failureStatuses());
    assertEquals(2, u.retries());
    assertEquals(64, u.maxConnections());
    assertEquals("GET /service/rest/v1/status every 3s within 1s, expect 200,204", u.healthCheck().toString());
    assertEquals(3, u.healthCheck().unhealthyAfter());
  }

  @Test
  void caFileWithoutCertificates() {
    write(dir, "ca.pem", "not a certificate\n");
    String text = minimal("  upstreams.nexus { url = \"https://nexus/\", ca = ca.pem }");
    Path file = write(dir, "gantry.conf", text);
    assertProblem(error(file), file, line(text, "ca.pem"), "gantry.upstreams.nexus.ca", "(expected: PEM CA certificates");
  }

  @Test
  void unreadableCertificateFiles() {
    write(dir, "tls/registry.pem", "cert");
    String text = minimal("""
          listeners = [ { name = https, port = 8443 } ]
          tls.certificates = [
            { cert = tls/registry.pem, key = tls/registry.key }
            { keystore = tls/missing.p12, password = x }
            { cert = tls/registry.pem }
            { keystore = tls, cert = tls/registry.pem }
          ]
        """);
    Path file = write(dir, "gantry.conf", text);
    List<ConfigProblem> errors = errors(file);
    assertEquals(4, errors.size(), errors::toString);
    assertProblem(find(errors, "gantry.tls.certificates[0].key"), file, line(text, "registry.key"),
        "gantry.tls.certificates[0].key", "file " + dir.resolve("tls/registry.key") + " does not exist (expected: a readable PEM private key file)");
    assertProblem(find(errors, "gantry.tls.certificates[1].keystore"), file, line(text, "missing.p12"),
        "gantry.tls.certificates[1].keystore", "does not exist");
    assertProblem(find(errors, "gantry.tls.certificates[2].key"), file, line(text, "{ cert = tls/registry.pem }"),
        "gantry.tls.certificates[2].key", "missing (expected: the PEM private key file");
    assertProblem(find(errors, "gantry.tls.certificates[3]"), file, line(text, "keystore = tls,"),
        "gantry.tls.certificates[3]", "both a keystore and PEM files");

    // a linting loader skips the file checks: only the two shape errors remain
    List<ConfigProblem> linted = ConfigLoader.defaults().withFileChecks(false).check(file);
    assertEquals(List.of("gantry.tls.certificates[2].key", "gantry.tls.certificates[3]"),
        linted.stream().map(ConfigProblem::path).toList());
  }

  @Test
  void tlsListenerWithoutCertificate() {
    String text = minimal("  listeners = [ { name = https, port = 8443 } ]");
    Path file = write(dir, "gantry.conf", text);
    assertProblem(error(file), file, line(text, "name = https"), "gantry.listeners[0]",
        "TLS listener 'https' has no certificate (expected: gantry.tls.certificates, gantry.tls.self-signed, or tls = false");
  }

  @Test
  void redirectOnATlsListenerAndHstsOnAPlainOne() {
    String text = minimal("""
          listeners = [
            { name = https, port = 8443, redirect-to = 443 }
            { name = plain, port = 8080, tls = false, hsts = true }
          ]
          tls.self-signed = true
        """);
    Path file = write(dir, "gantry.conf", text);
    InvalidConfigException e = org.junit.jupiter.api.Assertions.assertThrows(InvalidConfigException.class,
        () -> TestConfigs.load(file));
    assertEquals(1, e.errors().size(), e::getMessage);
    assertProblem(e.errors().get(0), file, line(text, "redirect-to"), "gantry.listeners[0].redirect-to",
        "set on a TLS listener (expected: only on a plain listener, tls = false)");
    ConfigProblem warning = find(e.problems(), "gantry.listeners[1].hsts");
    assertEquals(ConfigProblem.Severity.WARNING, warning.severity());
  }

  @Test
  void invalidProxyProtocolPeersAndLimits() {
    String text = minimal("""
          listeners = [
            { name = lb, port = 8080, tls = false, proxy-protocol = true, proxy-protocol-from = ["10.0.0.0/33"] }
            { name = small, port = 8081, tls = false, max-request-header-size = 100 }
            { name = h2, port = 8082, tls = false, http2-max-concurrent-streams = 0, http2-max-events-per-second = lots }
          ]
        """);
    Path file = write(dir, "gantry.conf", text);
    List<ConfigProblem> errors = errors(file);
    assertEquals(4, errors.size(), errors::toString);
    assertProblem(find(errors, "gantry.listeners[0].proxy-protocol-from[0]"), file, line(text, "10.0.0.0/33"),
        "gantry.listeners[0].proxy-protocol-from[0]", "'10.0.0.0/33' (expected: prefix length 0-32)");
    assertProblem(find(errors, "gantry.listeners[1].max-request-header-size"), file, line(text, "= 100"),
        "gantry.listeners[1].max-request-header-size", "100 (expected: a size such as 32KiB or 65536, 1024 to 1048576 bytes)");
    assertProblem(find(errors, "gantry.listeners[2].http2-max-concurrent-streams"), file, line(text, "streams = 0"),
        "gantry.listeners[2].http2-max-concurrent-streams", "0 (expected: an integer from 1 to 65536)");
    assertProblem(find(errors, "gantry.listeners[2].http2-max-events-per-second"), file, line(text, "lots"),
        "gantry.listeners[2].http2-max-events-per-second", "(expected: an integer from 1 to 1000000)");
  }

  @Test
  void invalidTrustedProxyAndAccessLogFormat() {
    String text = minimal("""
          trusted-proxies = ["10.0.0.0/8", "10.0.0.0/33", proxy.example.com]
          access-log.format = jsn
        """);
    Path file = write(dir, "gantry.conf", text);
    List<ConfigProblem> errors = errors(file);
    assertEquals(3, errors.size(), errors::toString);
    assertProblem(find(errors, "gantry.trusted-proxies[1]"), file, line(text, "10.0.0.0/33"), "gantry.trusted-proxies[1]",
        "'10.0.0.0/33' (expected: prefix length 0-32)");
    assertProblem(find(errors, "gantry.trusted-proxies[2]"), file, line(text, "proxy.example.com"), "gantry.trusted-proxies[2]",
        "(expected: an IP address or CIDR such as 10.0.0.0/8)");
    assertProblem(find(errors, "gantry.access-log.format"), file, line(text, "jsn"), "gantry.access-log.format",
        "'jsn' (expected one of: combined, json; did you mean 'json'?)");
  }

  @Test
  void manyErrorsAreReportedAtOnceInFileOrder() {
    String text = """
        gantry {
          listeners = [ { name = plain, port = 70000, tls = false } ]
          upstreams { nexus = "ftp://nexus/" }
          routes = [
            { host = "a..b", to = nexus }
            { listener = nope, to = nexus }
            { to = nexsu }
          ]
          admin.enabled = perhaps
        }
        """;
    Path file = write(dir, "gantry.conf", text);
    InvalidConfigException e = org.junit.jupiter.api.Assertions.assertThrows(InvalidConfigException.class,
        () -> TestConfigs.load(file));
    List<Integer> lines = e.errors().stream().map(ConfigProblem::line).toList();
    assertEquals(List.of(2, 3, 5, 6, 7, 9), lines, e::getMessage);
    assertTrue(e.getMessage().startsWith("invalid configuration (6 errors):\n" + file + ":2: gantry.listeners[0].port: 70000"),
        e::getMessage);
  }

  @Test
  void gantryBlockOfTheWrongType() {
    String text = "gantry = [1, 2]\n";
    Path file = write(dir, "gantry.conf", text);
    assertProblem(error(file), file, 1, "gantry", "list [1,2] (expected: an object: gantry { ... })");
  }

  @Test
  void emptyFileNeedsAGantryBlockAndRoutes() {
    Path file = write(dir, "gantry.conf", "");
    List<ConfigProblem> errors = errors(file);
    assertTrue(errors.stream().anyMatch(p -> p.path().equals("gantry") && p.message().contains("missing")), errors::toString);
    assertTrue(errors.stream().anyMatch(p -> p.path().equals("gantry.routes")), errors::toString);
  }

  /** Edge controls: every bad address and path prefix at its element's file:line:key, all at once. */
  @Test
  void badAccessRulesAreReportedAtTheirElement() {
    String text = """
        gantry {
          upstreams { nexus = "http://127.0.0.1:8081/" }
          routes = [
            { to = nexus, allow-from = ["10.0.0.0/8", "10.0.0.0/33"]
              deny-from = ["example.com"]
              deny-paths = ["/service/rest/v1/script", "service/rest/v1/security/", "/a/../b"] }
          ]
          admin.allow-from = ["300.1.1.1"]
          client-limits.max-concurrent = -1
        }
        """;
    Path file = write(dir, "gantry.conf", text);
    List<ConfigProblem> errors = errors(file);
    assertProblem(find(errors, "gantry.routes[0].allow-from[1]"), file, line(text, "10.0.0.0/33"),
        "gantry.routes[0].allow-from[1]", "'10.0.0.0/33' (expected: prefix length 0-32)");
    assertProblem(find(errors, "gantry.routes[0].deny-from[0]"), file, line(text, "example.com"),
        "gantry.routes[0].deny-from[0]", "'example.com' (expected: an IP address or CIDR such as 10.0.0.0/8)");
    assertProblem(find(errors, "gantry.routes[0].deny-paths[1]"), file, line(text, "service/rest/v1/security/"),
        "gantry.routes[0].deny-paths[1]", "'service/rest/v1/security/' (expected: starts with '/')");
    assertProblem(find(errors, "gantry.routes[0].deny-paths[2]"), file, line(text, "/a/../b"),
        "gantry.routes[0].deny-paths[2]", "'/a/../b' (expected: a normalised path prefix such as /v2/)");
    assertProblem(find(errors, "gantry.admin.allow-from[0]"), file, line(text, "300.1.1.1"),
        "gantry.admin.allow-from[0]", "'300.1.1.1' (expected: an IP address or CIDR such as 10.0.0.0/8)");
    assertProblem(find(errors, "gantry.client-limits.max-concurrent"), file, line(text, "max-concurrent"),
        "gantry.client-limits.max-concurrent", "-1 (expected: requests in flight per client, 0 for no limit)");
    assertEquals(6, errors.size(), errors.toString());
  }

  @Test
  void adminBasicAuthWithoutAPasswordIsAnErrorThatNeverShowsOne() {
    String text = minimal("""
          admin.basic-auth { user = admin, password = ${?GANTRY_TEST_UNSET_PASSWORD} }
        """);
    Path file = write(dir, "gantry.conf", text);
    ConfigProblem p = error(file);
    assertEquals("gantry.admin.basic-auth.password", p.path());
    assertTrue(p.message().startsWith("missing (expected: a password"), p.message());
  }
}
