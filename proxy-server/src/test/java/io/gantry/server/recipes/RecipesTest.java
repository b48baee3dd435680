package io.gantry.server.recipes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gantry.server.cli.GantryCli;
import io.gantry.server.recipes.Client.Reply;
import io.gantry.server.recipes.Repositories.Received;
import io.gantry.server.tls.TestPki;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every recipe in {@code conf/examples/} runs: gantry starts on the file itself (ports and
 * certificates made local by {@link RecipeServer}), real clients send the requests the recipe is
 * about (Docker's {@code GET /v2/}, {@code HEAD} of a manifest, {@code POST} of a blob upload, a
 * browser's {@code GET /}, and hostile ones where a recipe promises isolation), and a real
 * stand-in for Nexus records which upstream got each, with the path and headers it received. The
 * {@code bin/gantry explain} output each recipe quotes in its comments is checked to be current.
 */
class RecipesTest {
  /** The recipes this class runs; every file in conf/examples/ must be one. */
  private static final List<String> RECIPES = List.of("port-per-repository.conf", "host-per-project.conf",
      "method-split.conf", "user-agent-split.conf", "separate-registry-name.conf", "teams-by-host.conf",
      "teams-by-namespace.conf");

  @TempDir
  static Path dir;

  static TestPki pki;

  @BeforeAll
  static void ca() throws Exception {
    pki = new TestPki(dir);
  }

  /**
   * What an upstream should have received for a request to {@code https://<publicHost>}: the
   * client's Host kept, X-Forwarded-* from the connection (the port is the Host's, or 443).
   */
  static Received https(String upstream, String method, String pathQuery, String publicHost) {
    int colon = publicHost.indexOf(':');
    String port = colon < 0 ? "443" : publicHost.substring(colon + 1);
    return new Received(upstream, method, pathQuery, publicHost, "https", publicHost, port, "127.0.0.1");
  }

  @Test
  void everyRecipeIsRunHere() throws IOException {
    try (Stream<Path> files = Files.list(RecipeServer.EXAMPLES)) {
      assertEquals(RECIPES.stream().sorted().toList(),
          files.map(f -> f.getFileName().toString()).filter(f -> f.endsWith(".conf")).sorted().toList());
    }
  }

  /** {@code #   $ bin/gantry explain conf/examples/x.conf URL [options]}, then the output, up to a bare {@code #}. */
  private static final Pattern EXPLAIN = Pattern.compile("#( +)\\$ bin/gantry explain (.+)");

  @Test
  void everyRecipeQuotesTheCurrentOutputOfExplain() throws IOException {
    List<String> stale = new ArrayList<>();
    for (String recipe : RECIPES) {
      Path file = RecipeServer.EXAMPLES.resolve(recipe);
      List<String> lines = Files.readAllLines(file);
      int quotes = 0;
      for (int i = 0; i < lines.size(); i++) {
        Matcher m = EXPLAIN.matcher(lines.get(i));
        if (!m.matches()) {
          continue;
        }
        quotes++;
        String where = recipe + ":" + (i + 1);
        String indent = "#" + m.group(1);
        List<String> args = shellWords(m.group(2));
        assertEquals("conf/examples/" + recipe, args.get(0), where + ": explain names another file");
        List<String> quoted = new ArrayList<>();
        for (int j = i + 1; j < lines.size() && !lines.get(j).equals("#"); j++) {
          assertTrue(lines.get(j).startsWith(indent), recipe + ":" + (j + 1) + ": not part of the quote: " + lines.get(j));
          quoted.add(lines.get(j).substring(indent.length()));
        }
        List<String> command = new ArrayList<>(List.of("explain", file.toString()));
        command.addAll(args.subList(1, args.size()));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        new GantryCli(new PrintWriter(out), new PrintWriter(err)).execute(command.toArray(String[]::new));
        assertEquals("", err.toString(), where);
        List<String> printed = out.toString().lines().toList();
        if (!printed.equals(quoted)) {
          stale.add(where + " quotes\n" + String.join("\n", quoted) + "\nbut explain prints\n" + String.join("\n", printed));
        }
      }
      if (quotes < 3) {
        stale.add(recipe + " quotes explain " + quotes + " times (expected: at least 3, its key requests)");
      }
    }
    assertEquals("", String.join("\n\n", stale));
  }

  /** Words as a POSIX shell splits them, for the quotes' command lines: blanks separate, '...' keeps. */
  private static List<String> shellWords(String line) {
    List<String> words = new ArrayList<>();
    StringBuilder word = null;
    boolean quoted = false;
    for (char c : line.toCharArray()) {
      if (c == '\'') {
        quoted = !quoted;
        word = word == null ? new StringBuilder() : word;
      } else if (c == ' ' && !quoted) {
        if (word != null) {
          words.add(word.toString());
          word = null;
        }
      } else {
        word = word == null ? new StringBuilder() : word;
        word.append(c);
      }
    }
    assertFalse(quoted, "unbalanced quote in: " + line);
    if (word != null) {
      words.add(word.toString());
    }
    return words;
  }

  /** Runs one recipe for the tests of a nested class. */
  @TestInstance(TestInstance.Lifecycle.PER_CLASS)
  abstract static class Recipe {
    RecipeServer gantry;
    Repositories upstreams;

    abstract RecipeServer start() throws Exception;

    @BeforeAll
    void startRecipe() throws Exception {
      gantry = start();
      upstreams = gantry.upstreams;
    }

    @AfterAll
    void stopRecipe() throws Exception {
      if (gantry != null) {
        gantry.close();
      }
    }

    @BeforeEach
    void forgetEarlierRequests() {
      upstreams.clear();
    }

    /** Asserts a forwarded request: status 200 and exactly {@code expected} received upstream. */
    void assertForwarded(Reply reply, Received expected) throws InterruptedException {
      assertEquals(expected.upstream(), reply.header("X-Upstream"), () -> "status " + reply.status() + ": " + reply.body());
      assertEquals(expected, upstreams.next());
      upstreams.assertNoneReceived();
    }

    /** Asserts that gantry answered {@code status} itself and no upstream was contacted. */
    void assertRefused(Reply reply, int status) {
      assertEquals(status, reply.status(), reply::body);
      assertEquals(null, reply.header("X-Upstream"));
      upstreams.assertNoneReceived();
    }
  }

  @Nested
  class PortPerRepository extends Recipe {
    @Override
    RecipeServer start() throws Exception {
      return RecipeServer.start("port-per-repository.conf", pki, dir, "registry.example.com");
    }

    @Test
    void thePullPortReachesTheGroupWithHostAndForwardedPortKept() throws Exception {
      String host = "registry.example.com:" + gantry.port("pull");
      Reply base = gantry.tls("pull", "registry.example.com").host(host).agent(Client.DOCKER).send("GET", "/v2/");
      assertForwarded(base, https("docker-group", "GET", "/repository/docker-group/v2/", host));
      Reply head = gantry.tls("pull", "registry.example.com").host(host).agent(Client.DOCKER)
          .send("HEAD", "/v2/library/alpine/manifests/3.20");
      assertForwarded(head, https("docker-group", "HEAD", "/repository/docker-group/v2/library/alpine/manifests/3.20", host));
    }

    @Test
    void everythingOnThePushPortReachesHostedAndTheUploadLocationNamesThePushPort() throws Exception {
      String host = "registry.example.com:" + gantry.port("push");
      Reply upload = gantry.tls("push", "registry.example.com").host(host).agent(Client.DOCKER)
          .send("POST", "/v2/team/app/blobs/uploads/");
      assertEquals(202, upload.status());
      assertEquals("https://" + host + "/v2/team/app/blobs/uploads/1", upload.header("Location"));
      assertForwarded(upload, https("docker-hosted", "POST", "/repository/docker-hosted/v2/team/app/blobs/uploads/", host));
      // docker push asks the push port whether a manifest exists: HEAD goes to hosted too.
      Reply head = gantry.tls("push", "registry.example.com").host(host).agent(Client.DOCKER)
          .send("HEAD", "/v2/team/app/manifests/1.0");
      assertForwarded(head, https("docker-hosted", "HEAD", "/repository/docker-hosted/v2/team/app/manifests/1.0", host));
    }

    @Test
    void plainHttpIsRedirectedToThePullPort() throws Exception {
      Reply r = gantry.plain("redirect", "registry.example.com").send("GET", "/v2/");
      assertEquals(301, r.status());
      assertEquals("https://registry.example.com:8086/v2/", r.header("Location"));
      upstreams.assertNoneReceived();
    }
  }

  @Nested
  class HostPerProject extends Recipe {
    @Override
    RecipeServer start() throws Exception {
      return RecipeServer.start("host-per-project.conf", pki, dir, "*.example.com");
    }

    @Test
    void eachProjectNameReachesItsRepositoryForTheRegistryApi() throws Exception {
      Reply a = gantry.tls("https", "project-a.example.com").agent(Client.DOCKER).send("GET", "/v2/");
      assertForwarded(a, https("docker-project-a", "GET", "/repository/docker-project-a/v2/", "project-a.example.com"));
      assertEquals("*.example.com", a.certificateName());
      assertTrue(a.header("Strict-Transport-Security").startsWith("max-age="), a.headers()::toString);
      Reply b = gantry.tls("https", "project-b.example.com").agent(Client.DOCKER).send("HEAD", "/v2/app/manifests/1.0");
      assertForwarded(b, https("docker-project-b", "HEAD", "/repository/docker-project-b/v2/app/manifests/1.0",
          "project-b.example.com"));
      Reply push = gantry.tls("https", "project-a.example.com").agent(Client.DOCKER).send("POST", "/v2/app/blobs/uploads/");
      assertEquals("https://project-a.example.com/v2/app/blobs/uploads/1", push.header("Location"));
      assertForwarded(push, https("docker-project-a", "POST", "/repository/docker-project-a/v2/app/blobs/uploads/",
          "project-a.example.com"));
      Reply v1 = gantry.tls("https", "project-b.example.com").agent(Client.DOCKER).send("GET", "/v1/_ping");
      assertForwarded(v1, https("docker-project-b", "GET", "/repository/docker-project-b/v1/_ping", "project-b.example.com"));
    }

    @Test
    void browsersGetTheNexusUiOnEveryNameUnderTheWildcard() throws Exception {
      Reply a = gantry.tls("https", "project-a.example.com").agent(Client.BROWSER).send("GET", "/");
      assertForwarded(a, https("nexus", "GET", "/", "project-a.example.com"));
      Reply nexus = gantry.tls("https", "nexus.example.com").agent(Client.BROWSER).send("GET", "/");
      assertForwarded(nexus, https("nexus", "GET", "/", "nexus.example.com"));
    }

    @Test
    void aConnectionForOneProjectCannotAskForAnother() throws Exception {
      Reply r = gantry.tls("https", "project-a.example.com").host("project-b.example.com").agent(Client.DOCKER)
          .send("GET", "/v2/");
      assertRefused(r, 421);
    }
  }

  @Nested
  class MethodSplit extends Recipe {
    @Override
    RecipeServer start() throws Exception {
      return RecipeServer.start("method-split.conf", pki, dir, "registry.example.com", "nexus.example.com");
    }

    @Test
    void readsGoThroughTheGroup() throws Exception {
      Reply base = gantry.tls("https", "registry.example.com").agent(Client.DOCKER).send("GET", "/v2/");
      assertForwarded(base, https("docker-group", "GET", "/repository/docker-group/v2/", "registry.example.com"));
      assertEquals("registry.example.com", base.certificateName());
      Reply head = gantry.tls("https", "registry.example.com").agent(Client.DOCKER)
          .send("HEAD", "/v2/library/alpine/manifests/3.20");
      assertForwarded(head, https("docker-group", "HEAD", "/repository/docker-group/v2/library/alpine/manifests/3.20",
          "registry.example.com"));
      Reply blob = gantry.tls("https", "registry.example.com").agent(Client.DOCKER).send("GET", "/v2/team/app/blobs/sha256:0a1b");
      assertForwarded(blob, https("docker-group", "GET", "/repository/docker-group/v2/team/app/blobs/sha256:0a1b",
          "registry.example.com"));
    }

    @Test
    void writesGoToHosted() throws Exception {
      Reply upload = gantry.tls("https", "registry.example.com").agent(Client.DOCKER).send("POST", "/v2/team/app/blobs/uploads/");
      assertEquals(202, upload.status());
      assertEquals("https://registry.example.com/v2/team/app/blobs/uploads/1", upload.header("Location"));
      assertForwarded(upload, https("docker-hosted", "POST", "/repository/docker-hosted/v2/team/app/blobs/uploads/",
          "registry.example.com"));
      for (String[] write : List.of(new String[] {"PATCH", "/v2/team/app/blobs/uploads/1"},
          new String[] {"PUT", "/v2/team/app/blobs/uploads/1?digest=sha256:0a1b"},
          new String[] {"PUT", "/v2/team/app/manifests/1.0"}, new String[] {"DELETE", "/v2/team/app/manifests/sha256:0a1b"})) {
        Reply r = gantry.tls("https", "registry.example.com").agent(Client.DOCKER).send(write[0], write[1]);
        assertForwarded(r, https("docker-hosted", write[0], "/repository/docker-hosted" + write[1], "registry.example.com"));
      }
    }

    @Test
    void theNexusNameIsTheUiWithItsOwnCertificate() throws Exception {
      Reply ui = gantry.tls("https", "nexus.example.com").agent(Client.BROWSER).send("GET", "/");
      assertForwarded(ui, https("nexus", "GET", "/", "nexus.example.com"));
      assertEquals("nexus.example.com", ui.certificateName());
    }
  }

  @Nested
  class UserAgentSplit extends Recipe {
    @Override
    RecipeServer start() throws Exception {
      return RecipeServer.start("user-agent-split.conf", pki, dir, "nexus.example.com");
    }

    private Client nexus(String agent) throws Exception {
      return gantry.tls("https", "nexus.example.com").agent(agent);
    }

    @Test
    void dockerPullsThroughTheGroupAndPushesToHosted() throws Exception {
      assertForwarded(nexus(Client.DOCKER).send("GET", "/v2/"),
          https("docker-group", "GET", "/repository/docker-group/v2/", "nexus.example.com"));
      assertForwarded(nexus(Client.DOCKER).send("HEAD", "/v2/team/app/manifests/1.0"),
          https("docker-group", "HEAD", "/repository/docker-group/v2/team/app/manifests/1.0", "nexus.example.com"));
      assertForwarded(nexus(Client.DOCKER).send("POST", "/v2/team/app/blobs/uploads/"),
          https("docker-hosted", "POST", "/repository/docker-hosted/v2/team/app/blobs/uploads/", "nexus.example.com"));
    }

    @Test
    void dockerSearchListsTheHostedRepository() throws Exception {
      assertForwarded(nexus(Client.DOCKER).send("GET", "/v1/search?q=app&n=25"),
          https("docker-hosted", "GET", "/repository/docker-hosted/v1/search?q=app&n=25", "nexus.example.com"));
    }

    @Test
    void registryClientsThatDoNotSayDockerStillReachTheRegistry() throws Exception {
      assertForwarded(nexus(Client.CONTAINERD).send("HEAD", "/v2/team/app/manifests/1.0"),
          https("docker-group", "HEAD", "/repository/docker-group/v2/team/app/manifests/1.0", "nexus.example.com"));
      assertForwarded(nexus(Client.CONTAINERD).send("PUT", "/v2/team/app/manifests/1.0"),
          https("docker-hosted", "PUT", "/repository/docker-hosted/v2/team/app/manifests/1.0", "nexus.example.com"));
    }

    @Test
    void browsersGetTheUi() throws Exception {
      assertForwarded(nexus(Client.BROWSER).send("GET", "/"), https("nexus", "GET", "/", "nexus.example.com"));
      assertForwarded(nexus(Client.BROWSER).send("GET", "/service/rest/v1/status"),
          https("nexus", "GET", "/service/rest/v1/status", "nexus.example.com"));
    }
  }

  @Nested
  class SeparateRegistryName extends Recipe {
    @Override
    RecipeServer start() throws Exception {
      return RecipeServer.start("separate-registry-name.conf", pki, dir, "ps.example.com", "ps-docker.example.com");
    }

    @Test
    void theRegistryNameIsTheRegistry() throws Exception {
      Reply base = gantry.tls("https", "ps-docker.example.com").agent(Client.DOCKER).send("GET", "/v2/");
      assertForwarded(base, https("docker-group", "GET", "/nexus/repository/docker-group/v2/", "ps-docker.example.com"));
      assertEquals("ps-docker.example.com", base.certificateName());
      Reply head = gantry.tls("https", "ps-docker.example.com").agent(Client.DOCKER).send("HEAD", "/v2/team/app/manifests/1.0");
      assertForwarded(head,
          https("docker-group", "HEAD", "/nexus/repository/docker-group/v2/team/app/manifests/1.0", "ps-docker.example.com"));
      Reply upload = gantry.tls("https", "ps-docker.example.com").agent(Client.DOCKER)
          .send("POST", "/v2/team/app/blobs/uploads/");
      assertEquals("https://ps-docker.example.com/v2/team/app/blobs/uploads/1", upload.header("Location"));
      assertForwarded(upload,
          https("docker-hosted", "POST", "/nexus/repository/docker-hosted/v2/team/app/blobs/uploads/", "ps-docker.example.com"));
    }

    @Test
    void theMainNameServesItsStacksByPath() throws Exception {
      assertForwarded(gantry.tls("https", "ps.example.com").agent(Client.BROWSER).send("GET", "/nexus/"),
          https("nexus", "GET", "/nexus/", "ps.example.com"));
      assertForwarded(gantry.tls("https", "ps.example.com").agent(Client.BROWSER).send("GET", "/nexus"),
          https("nexus", "GET", "/nexus", "ps.example.com"));
      assertForwarded(gantry.tls("https", "ps.example.com").agent(Client.BROWSER).send("GET", "/jenkins/job/build/"),
          https("jenkins", "GET", "/jenkins/job/build/", "ps.example.com"));
      assertForwarded(gantry.tls("https", "ps.example.com").agent(Client.BROWSER).send("GET", "/"),
          https("site", "GET", "/", "ps.example.com"));
      // Prefixes match whole segments: /nexus-docs is the site's.
      assertForwarded(gantry.tls("https", "ps.example.com").agent(Client.BROWSER).send("GET", "/nexus-docs/"),
          https("site", "GET", "/nexus-docs/", "ps.example.com"));
      assertEquals("ps.example.com", gantry.tls("https", "ps.example.com").send("GET", "/").certificateName());
    }

    @Test
    void theMainNameIsNoRegistry() throws Exception {
      assertForwarded(gantry.tls("https", "ps.example.com").agent(Client.DOCKER).send("GET", "/v2/"),
          https("site", "GET", "/v2/", "ps.example.com"));
    }
  }

  @Nested
  class TeamsByHost extends Recipe {
    private static final String A = "team-a.registry.example.com";
    private static final String B = "team-b.registry.example.com";

    @Override
    RecipeServer start() throws Exception {
      return RecipeServer.start("teams-by-host.conf", pki, dir, "*.registry.example.com");
    }

    /** Over every test of the class: each team's repositories were reached through its own name only. */
    @AfterAll
    void eachTeamsRepositoriesWereReachedThroughItsNameOnly() {
      List<Received> crossed = upstreams.all().stream()
          .filter(r -> !r.host().equals(r.upstream().substring(0, "team-x".length()) + ".registry.example.com")).toList();
      assertEquals(List.of(), crossed);
      assertTrue(upstreams.all().stream().anyMatch(r -> r.upstream().startsWith("team-b")), "team B was never reached at all");
    }

    @Test
    void eachTeamPullsThroughItsGroupAndPushesToItsHosted() throws Exception {
      assertForwarded(gantry.tls("https", A).agent(Client.DOCKER).send("GET", "/v2/"),
          https("team-a-group", "GET", "/repository/team-a-group/v2/", A));
      assertForwarded(gantry.tls("https", A).agent(Client.DOCKER).send("HEAD", "/v2/app/manifests/1.0"),
          https("team-a-group", "HEAD", "/repository/team-a-group/v2/app/manifests/1.0", A));
      assertForwarded(gantry.tls("https", A).agent(Client.DOCKER).send("POST", "/v2/app/blobs/uploads/"),
          https("team-a-hosted", "POST", "/repository/team-a-hosted/v2/app/blobs/uploads/", A));
      // Team B's name reaches team B: the isolation rows below could see it if they leaked.
      assertForwarded(gantry.tls("https", B).agent(Client.DOCKER).send("HEAD", "/v2/app/manifests/1.0"),
          https("team-b-group", "HEAD", "/repository/team-b-group/v2/app/manifests/1.0", B));
      assertForwarded(gantry.tls("https", B).agent(Client.DOCKER).send("POST", "/v2/app/blobs/uploads/"),
          https("team-b-hosted", "POST", "/repository/team-b-hosted/v2/app/blobs/uploads/", B));
    }

    /** Requests on a connection opened for team A that try to reach team B's repositories or the UI. */
    Stream<Arguments> pathTricks() {
      return Stream.of(
          Arguments.of("/v2/../../team-b-hosted/v2/", 400),
          Arguments.of("/v2/%2e%2e/%2e%2e/team-b-hosted/v2/", 400),
          Arguments.of("/v2/.%2E/%2E./team-b-hosted/v2/", 400),
          Arguments.of("/v2/..;/..;/team-b-hosted/v2/", 400),
          Arguments.of("/v2/..%2f..%2fteam-b-hosted/v2/", 400),
          Arguments.of("/v2/..%2F..%2Fteam-b-hosted%2Fv2%2F", 400),
          Arguments.of("/v2/%252e%252e/%252e%252e/team-b-hosted/v2/", 400),
          Arguments.of("/v2/..\\..\\team-b-hosted\\v2\\", 400),
          Arguments.of("/v2/..%5c..%5cteam-b-hosted/v2/", 400),
          Arguments.of("/v2/app/manifests/../../../../repository/team-b-hosted/v2/", 400),
          // Leaves /v2/ without leaving /: no route on a team's name serves it.
          Arguments.of("/v2/../team-b-hosted/v2/app/manifests/1.0", 404),
          Arguments.of("/repository/team-b-hosted/v2/", 404),
          Arguments.of("/", 404));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("pathTricks")
    void pathTricksOnTeamAsNameReachNoRepository(String path, int status) throws Exception {
      assertRefused(gantry.tls("https", A).agent(Client.DOCKER).send("GET", path), status);
    }

    @Test
    void pathsStayingUnderV2StayInTeamAsRepositoryAsNormalised() throws Exception {
      assertForwarded(gantry.tls("https", A).agent(Client.DOCKER).send("HEAD", "/v2/team-b-hosted/app/manifests/1.0"),
          https("team-a-group", "HEAD", "/repository/team-a-group/v2/team-b-hosted/app/manifests/1.0", A));
      assertForwarded(gantry.tls("https", A).agent(Client.DOCKER).send("GET", "/v2/./x/../app/%2e%2e/app/manifests/1.0"),
          https("team-a-group", "GET", "/repository/team-a-group/v2/app/manifests/1.0", A));
    }

    @Test
    void aHostOtherThanTheSniNameIsMisdirected() throws Exception {
      for (String host : List.of(B, B + ":443", "TEAM-B.registry.example.com", "team-c.registry.example.com")) {
        assertRefused(gantry.tls("https", A).host(host).agent(Client.DOCKER).send("POST", "/v2/app/blobs/uploads/"), 421);
      }
      assertRefused(gantry.tls("https", B).host(A).agent(Client.DOCKER).send("GET", "/v2/"), 421);
      // An absolute-form target naming team B: with team A's Host Jetty refuses the pair, with team B's it is misdirected.
      assertRefused(gantry.tls("https", A).agent(Client.DOCKER).send("GET", "https://" + B + "/v2/"), 400);
      assertRefused(gantry.tls("https", A).host(B).agent(Client.DOCKER).send("GET", "https://" + B + "/v2/"), 421);
    }

    @Test
    void aNameUnderTheWildcardWithoutATeamIsMisdirected() throws Exception {
      assertRefused(gantry.tls("https", "team-c.registry.example.com").agent(Client.DOCKER).send("GET", "/v2/"), 421);
    }

    @Test
    void forwardingHeadersFromTheClientAreReplaced() throws Exception {
      Reply r = gantry.tls("https", A).agent(Client.DOCKER).header("X-Forwarded-Host", B).header("X-Forwarded-For", "10.9.8.7")
          .header("X-Forwarded-Proto", "http").header("X-Forwarded-Port", "8443").send("GET", "/v2/");
      assertForwarded(r, https("team-a-group", "GET", "/repository/team-a-group/v2/", A));
    }
  }

  @Nested
  class TeamsByNamespace extends Recipe {
    private static final String HOST = "registry.example.com";

    @Override
    RecipeServer start() throws Exception {
      return RecipeServer.start("teams-by-namespace.conf", pki, dir, HOST);
    }

    private Client docker() throws Exception {
      return gantry.tls("https", HOST).agent(Client.DOCKER);
    }

    @Test
    void theVersionCheckAndTheTokenAreShared() throws Exception {
      assertForwarded(docker().send("GET", "/v2/"), https("docker-shared", "GET", "/repository/docker-shared/v2/", HOST));
      String token = "/v2/token?account=alice&scope=repository%3Ateam-a%2Fapp%3Apush%2Cpull&service=registry.example.com";
      assertForwarded(docker().send("GET", token), https("docker-shared", "GET", "/repository/docker-shared" + token, HOST));
    }

    @Test
    void eachNamespaceReachesItsTeamsRepositories() throws Exception {
      assertForwarded(docker().send("HEAD", "/v2/team-a/app/manifests/1.0"),
          https("team-a-group", "HEAD", "/repository/team-a-group/v2/team-a/app/manifests/1.0", HOST));
      assertForwarded(docker().send("POST", "/v2/team-a/app/blobs/uploads/"),
          https("team-a-hosted", "POST", "/repository/team-a-hosted/v2/team-a/app/blobs/uploads/", HOST));
      assertForwarded(docker().send("GET", "/v2/team-b/tool/blobs/sha256:0a1b"),
          https("team-b-group", "GET", "/repository/team-b-group/v2/team-b/tool/blobs/sha256:0a1b", HOST));
      assertForwarded(docker().send("PUT", "/v2/team-b/tool/manifests/2.1"),
          https("team-b-hosted", "PUT", "/repository/team-b-hosted/v2/team-b/tool/manifests/2.1", HOST));
      assertForwarded(docker().send("HEAD", "/v2/library/alpine/manifests/3.20"),
          https("docker-shared", "HEAD", "/repository/docker-shared/v2/library/alpine/manifests/3.20", HOST));
    }

    @Test
    void namespacesAreWholeSegmentsOfTheNormalisedPath() throws Exception {
      // team-ab is not team-a: a pull of it is shared, a push has nowhere to go.
      assertForwarded(docker().send("HEAD", "/v2/team-ab/app/manifests/1.0"),
          https("docker-shared", "HEAD", "/repository/docker-shared/v2/team-ab/app/manifests/1.0", HOST));
      assertRefused(docker().send("POST", "/v2/team-ab/app/blobs/uploads/"), 404);
      // Routing and Nexus see the same path: what names team B's namespace reaches team B, as team B's.
      assertForwarded(docker().send("HEAD", "/v2/team-a/../team-b/app/manifests/1.0"),
          https("team-b-group", "HEAD", "/repository/team-b-group/v2/team-b/app/manifests/1.0", HOST));
      assertForwarded(docker().send("POST", "/v2/team-a/%2e%2e/team-b/app/blobs/uploads/"),
          https("team-b-hosted", "POST", "/repository/team-b-hosted/v2/team-b/app/blobs/uploads/", HOST));
      assertRefused(docker().send("POST", "/v2/team-a/..%2fteam-b/app/blobs/uploads/"), 400);
      assertRefused(docker().send("GET", "/v2/team-a/../../../repository/team-b-hosted/v2/"), 400);
    }

    @Test
    void writesOutsideATeamNamespaceAndBrowsersReachNothing() throws Exception {
      assertRefused(docker().send("POST", "/v2/library/alpine/blobs/uploads/"), 404);
      assertRefused(docker().send("PUT", "/v2/app/manifests/1.0"), 404);
      assertRefused(gantry.tls("https", HOST).agent(Client.BROWSER).send("GET", "/"), 404);
    }
  }
}
