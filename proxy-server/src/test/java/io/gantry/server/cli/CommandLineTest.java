package io.gantry.server.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code gantry check} and {@code gantry explain} on good and bad configurations. */
class CommandLineTest {
  @TempDir
  Path dir;
  private Path good;

  /** Runs the command line; returns exit code, stdout and stderr. */
  private record Run(int code, String out, String err) {}

  private Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = new GantryCli(new PrintWriter(out), new PrintWriter(err)).execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  @BeforeEach
  void write() throws Exception {
    good = dir.resolve("gantry.conf");
    Files.writeString(good, """
        gantry {
          listeners = [
            { name = https, port = 8443 }
            { name = push, port = 8086 }
            { name = plain, port = 8080, tls = false }
          ]
          tls.self-signed { hosts = [registry.example.com, nexus.example.com], dir = tls }
          upstreams {
            docker-group = "http://127.0.0.1:8081/repository/docker-group/"
            docker-hosted = "http://127.0.0.1:8081/repository/docker-hosted/"
            nexus = "http://127.0.0.1:8081/"
          }
          routes = [
            { name = push-port, listener = push, to = docker-hosted }
            { name = pull, host = registry.example.com, method = [GET, HEAD], to = docker-group }
            { name = push, host = registry.example.com, to = docker-hosted }
            { name = ui-registry, host = nexus.example.com, user-agent = docker, to = docker-group }
            { name = ui, host = nexus.example.com, to = nexus }
          ]
          admin.port = 0
        }
        """);
  }

  @Test
  void checkPrintsCertificatesAndTheRouteTable() {
    Run r = run("check", good.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("certificate "), r.out());
    assertTrue(r.out().contains("  2. pull: host(registry.example.com) && method(GET,HEAD) -> http://127.0.0.1:8081/repository/docker-group/"), r.out());
    assertTrue(r.out().contains(": OK"), r.out());
  }

  @Test
  void checkNamesFileLineAndKeyOfEveryError() throws Exception {
    Path bad = dir.resolve("bad.conf");
    Files.writeString(bad, """
        gantry {
          listeners = [ { name = plain, port = 8080, tls = false } ]
          upstreams { nexus = "http://127.0.0.1:8081/" }
          routes = [
            { host = "a..b", to = nexus }
            { host = x.example.com, to = nexsu }
          ]
        }
        """);
    Run r = run("check", bad.toString());
    assertEquals(1, r.code());
    assertTrue(r.err().contains("bad.conf:5: gantry.routes[0].host"), r.err());
    assertTrue(r.err().contains("bad.conf:6: gantry.routes[1].to"), r.err());
    assertTrue(r.err().contains("did you mean 'nexus'"), r.err());
  }

  @Test
  void checkReportsAMissingFile() {
    Run r = run("check", dir.resolve("missing.conf").toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("cannot read"), r.err());
  }

  @Test
  void explainShowsRouteAndUpstreamUrl() {
    Run r = run("explain", good.toString(), "https://registry.example.com:8443/v2/library/alpine/blobs/uploads/?x=1", "-X", "POST");
    assertEquals(0, r.code(), r.out() + r.err());
    assertTrue(r.out().contains("route 3 'push': host(registry.example.com)"), r.out());
    assertTrue(r.out().contains("-> http://127.0.0.1:8081/repository/docker-hosted/v2/library/alpine/blobs/uploads/?x=1"), r.out());
  }

  @Test
  void explainFollowsTheUserAgent() {
    Run docker = run("explain", good.toString(), "https://nexus.example.com:8443/service/rest/v1/status", "-A", "docker/24.0.7");
    assertTrue(docker.out().contains("route 4 'ui-registry'"), docker.out());
    Run browser = run("explain", good.toString(), "https://nexus.example.com:8443/service/rest/v1/status", "-A", "Mozilla/5.0");
    assertTrue(browser.out().contains("route 5 'ui'"), browser.out());
  }

  @Test
  void explainSaysWhyNone() {
    Run misdirected = run("explain", good.toString(), "https://other.example.com:8443/v2/");
    assertEquals(1, misdirected.code());
    assertTrue(misdirected.out().contains("421 Misdirected Request"), misdirected.out());
    Run traversal = run("explain", good.toString(), "https://registry.example.com:8443/v2/..%2f..%2fadmin");
    assertTrue(traversal.out().contains("-> 400"), traversal.out());
    Run noListener = run("explain", good.toString(), "https://registry.example.com:9999/v2/");
    assertTrue(noListener.out().contains("no listener on port 9999"), noListener.out());
    Run portMapped = run("explain", good.toString(), "https://anything.example.com:8086/v2/");
    assertTrue(portMapped.out().contains("route 1 'push-port'"), portMapped.out());
  }

  /** Explain applies a route's access rules, from the client address given with --from. */
  @Test
  void explainAppliesAccessRules() throws Exception {
    Path file = dir.resolve("edge.conf");
    Files.writeString(file, """
        gantry {
          listeners = [ { name = plain, port = 8080, tls = false } ]
          upstreams { nexus = "http://127.0.0.1:8081/" }
          routes = [ { name = ui, to = nexus, allow-from = ["10.0.0.0/8"], deny-paths = ["/service/rest/v1/script"] } ]
          admin.port = 0
        }
        """);
    Run inside = run("explain", file.toString(), "http://nexus.example.com:8080/service/rest/v1/status", "--from", "10.1.2.3");
    assertEquals(0, inside.code(), inside.out() + inside.err());
    Run outside = run("explain", file.toString(), "http://nexus.example.com:8080/service/rest/v1/status", "--from", "192.0.2.1");
    assertTrue(outside.out().contains("-> 403 Forbidden: client address 192.0.2.1 is not allowed on this route (allow-from)"),
        outside.out());
    Run script = run("explain", file.toString(), "http://nexus.example.com:8080/service/rest/v1/../v1/script", "-F", "10.1.2.3");
    assertTrue(script.out().contains("-> 403 Forbidden: path /service/rest/v1/script/ is not served here (deny-paths)"),
        script.out());
  }

  /** Explain prints the Location the redirect handler sends: host, https port, path and query. */
  @Test
  void explainShowsTheRedirectWithItsQuery() throws Exception {
    Path redirecting = dir.resolve("redirect.conf");
    Files.writeString(redirecting, """
        gantry {
          listeners = [
            { name = https, port = 8443 }
            { name = plain, port = 8080, tls = false, redirect-to = 8443 }
            { name = web, port = 80, tls = false, redirect-to = 443 }
          ]
          tls.self-signed { hosts = [registry.example.com], dir = tls }
          upstreams { nexus = "http://127.0.0.1:8081/" }
          routes = [ { to = nexus } ]
          admin.port = 0
        }
        """);
    Run get = run("explain", redirecting.toString(), "http://Registry.Example.com:8080/v2/_catalog?n=10&last=a%2Fb");
    assertEquals(0, get.code(), get.out() + get.err());
    String location = "https://registry.example.com:8443/v2/_catalog?n=10&last=a%2Fb";
    assertTrue(get.out().lines().anyMatch(("  -> 301 redirect to " + location)::equals), get.out());
    Run put = run("explain", redirecting.toString(), "http://registry.example.com/?x=1", "-X", "PUT");
    assertTrue(put.out().lines().anyMatch("  -> 308 redirect to https://registry.example.com/?x=1"::equals), put.out());
    Run bare = run("explain", redirecting.toString(), "http://registry.example.com:8080");
    assertTrue(bare.out().lines().anyMatch("  -> 301 redirect to https://registry.example.com:8443/"::equals), bare.out());
  }

  @Test
  void explainTakesHeadersAndLongOptions() {
    Run r = run("explain", good.toString(), "https://nexus.example.com:8443/v2/", "--user-agent", "docker/24.0.7",
        "-H", "X-Team: a", "--header", "X-Other: \"quoted\"", "--request", "head");
    assertEquals(0, r.code(), r.out() + r.err());
    assertTrue(r.out().startsWith("HEAD https://nexus.example.com:8443/v2/"), r.out());
    assertTrue(r.out().contains("route 4 'ui-registry'"), r.out());
    Run bad = run("explain", good.toString(), "https://nexus.example.com:8443/v2/", "-H", "no colon");
    assertEquals(2, bad.code());
    assertTrue(bad.err().contains("not a header: no colon"), bad.err());
  }

  @Test
  void helpAndVersionAnswerOnStdout() {
    for (String[] args : new String[][] {{}, {"--help"}, {"-h"}, {"help"}}) {
      Run r = run(args);
      assertEquals(0, r.code(), String.join(" ", args));
      assertTrue(r.out().contains("Usage: gantry COMMAND"), r.out());
      assertTrue(r.out().contains("explain  Show which route"), r.out());
    }
    Run explain = run("help", "explain");
    assertEquals(0, explain.code());
    assertTrue(explain.out().contains("gantry explain [OPTIONS] CONF URL"), explain.out());
    assertTrue(explain.out().contains("-X,--request <METHOD>"), explain.out());
    Run checkHelp = run("check", "--help");
    assertEquals(0, checkHelp.code());
    assertTrue(checkHelp.out().contains("gantry check [OPTIONS] [CONF]"), checkHelp.out());
    Run version = run("--version");
    assertEquals(0, version.code());
    assertTrue(version.out().startsWith("gantry "), version.out());
  }

  @Test
  void misuseNamesTheProblemAndShowsTheUsage() {
    Run unknown = run("serve");
    assertEquals(2, unknown.code());
    assertTrue(unknown.err().contains("gantry unknown command 'serve'"), unknown.err());
    assertTrue(unknown.err().contains("Usage: gantry COMMAND"), unknown.err());
    Run missing = run("explain", good.toString());
    assertEquals(2, missing.code());
    assertTrue(missing.err().contains("gantry explain: missing URL"), missing.err());
    assertTrue(missing.err().contains("gantry explain [OPTIONS] CONF URL"), missing.err());
    Run extra = run("check", good.toString(), "other.conf");
    assertEquals(2, extra.code());
    assertTrue(extra.err().contains("gantry check: unexpected 'other.conf'"), extra.err());
    Run badOption = run("check", "--verbose", good.toString());
    assertEquals(2, badOption.code());
    assertTrue(badOption.err().contains("Unrecognized option: --verbose"), badOption.err());
    Run noValue = run("explain", good.toString(), "https://nexus.example.com:8443/v2/", "-X");
    assertEquals(2, noValue.code());
    assertTrue(noValue.err().contains("Missing argument for option: X"), noValue.err());
    assertEquals("", noValue.out());
  }
}
