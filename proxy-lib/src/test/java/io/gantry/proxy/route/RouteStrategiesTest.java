package io.gantry.proxy.route;

import static io.gantry.proxy.route.RouteStrategies.and;
import static io.gantry.proxy.route.RouteStrategies.any;
import static io.gantry.proxy.route.RouteStrategies.header;
import static io.gantry.proxy.route.RouteStrategies.headerMatching;
import static io.gantry.proxy.route.RouteStrategies.host;
import static io.gantry.proxy.route.RouteStrategies.listener;
import static io.gantry.proxy.route.RouteStrategies.method;
import static io.gantry.proxy.route.RouteStrategies.not;
import static io.gantry.proxy.route.RouteStrategies.or;
import static io.gantry.proxy.route.RouteStrategies.pathPrefix;
import static io.gantry.proxy.route.RouteStrategies.port;
import static io.gantry.proxy.route.RouteStrategies.userAgent;
import static io.gantry.proxy.route.RouteStrategies.userAgentMatching;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gantry.proxy.validation.InvalidSettingException;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Table-driven tests of the built-in strategies: normalisation, validation, matching, printing. */
class RouteStrategiesTest {

  private static RequestView get(String host, String path) {
    return RequestView.builder().method("GET").host(host).path(path).build();
  }

  // ---- factories: valid input, normalised once; toString is the rule -------------------------

  static Stream<Arguments> validFactories() {
    return Stream.of(
        Arguments.of(any(), "any"),
        Arguments.of(port(8086), "port(8086)"),
        Arguments.of(port(5000, 5001), "port(5000,5001)"),
        Arguments.of(listener(" push ", "pull"), "listener(push,pull)"),
        Arguments.of(host("Registry.Example.COM"), "host(registry.example.com)"),
        Arguments.of(host("registry.example.com."), "host(registry.example.com)"),
        Arguments.of(host("*.Example.com", "a.example.org"), "host(*.example.com,a.example.org)"),
        Arguments.of(host("10.0.0.1"), "host(10.0.0.1)"),
        Arguments.of(host("[::1]"), "host([::1])"),
        Arguments.of(host("nexus_1.internal"), "host(nexus_1.internal)"),
        Arguments.of(method("get", " Head "), "method(GET,HEAD)"),
        Arguments.of(pathPrefix("/v2"), "path(/v2/)"),
        Arguments.of(pathPrefix("/v2/", "/v1"), "path(/v2/,/v1/)"),
        Arguments.of(pathPrefix("/"), "path(/)"),
        Arguments.of(pathPrefix("/%76%32/"), "path(/v2/)"),
        Arguments.of(header("X-Team", "Core"), "header(X-Team contains Core)"),
        Arguments.of(headerMatching("X-Team", "^c.re$"), "header(X-Team ~ /^c.re$/)"),
        Arguments.of(userAgent("docker"), "userAgent(docker)"),
        Arguments.of(userAgentMatching("^docker/2[0-9]"), "userAgent(~/^docker\\/2[0-9]/)"),
        Arguments.of(host("registry.example.com").and(method("GET", "HEAD")),
            "host(registry.example.com) && method(GET,HEAD)"),
        Arguments.of(pathPrefix("/v2/").or(userAgent("docker")), "(path(/v2/) || userAgent(docker))"),
        Arguments.of(host("a.com").and(pathPrefix("/v2/").or(userAgent("docker"))),
            "host(a.com) && (path(/v2/) || userAgent(docker))"),
        Arguments.of(host("a.com").and(method("GET")).or(port(1)), "(host(a.com) && method(GET) || port(1))"),
        Arguments.of(not(method("GET")), "!method(GET)"),
        Arguments.of(not(host("a.com").and(method("GET"))), "!(host(a.com) && method(GET))"),
        Arguments.of(not(port(1).or(port(2))), "!(port(1) || port(2))"),
        Arguments.of(and(port(1), and(port(2), port(3))), "port(1) && port(2) && port(3)"),
        Arguments.of(and(any(), port(1)), "port(1)"),
        Arguments.of(or(port(1), any()), "any"),
        Arguments.of(not(not(port(1))), "port(1)"));
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("validFactories")
  void factoriesNormaliseAndPrintTheRule(RouteStrategy strategy, String rule) {
    assertEquals(rule, strategy.toString());
  }

  // ---- factories: invalid input, one message shape -------------------------------------------

  static Stream<Arguments> invalidFactories() {
    return Stream.<Arguments>of(
        row("port()", () -> port(), "none given"),
        row("port(0)", () -> port(0), "expected: 1-65535"),
        row("port(65536)", () -> port(65536), "expected: 1-65535"),
        row("port(1,1)", () -> port(1, 1), "given twice"),
        row("listener()", () -> listener(), "none given"),
        row("listener(' ')", () -> listener(" "), "expected: a listener name"),
        row("listener(a,a)", () -> listener("a", " a"), "repeats index 0"),
        row("host()", () -> host(), "none given"),
        row("host('')", () -> host(""), "expected: a host name"),
        row("host(null)", () -> host((String) null), "null at index 0"),
        row("host(a..b)", () -> host("a..b"), "expected: a host name"),
        row("host(-a.com)", () -> host("-a.com"), "expected: a host name"),
        row("host(a-.com)", () -> host("a-.com"), "expected: a host name"),
        row("host(a b.com)", () -> host("a b.com"), "expected: a host name"),
        row("host(a.com:443)", () -> host("a.com:443"), "expected: a host name"),
        row("host(63+ label)", () -> host("a".repeat(64) + ".com"), "expected: a host name"),
        row("host(*)", () -> host("*"), "expected: a host name"),
        row("host(*.com)", () -> host("*.com"), "at least two labels"),
        row("host(a.*.com)", () -> host("a.*.com"), "expected: a host name"),
        row("host(*a.com)", () -> host("*a.com"), "expected: a host name"),
        row("host(dup)", () -> host("a.com", "A.COM."), "'A.COM.' at index 1 repeats index 0"),
        row("method()", () -> method(), "none given"),
        row("method('')", () -> method(""), "expected: an HTTP method token"),
        row("method(G T)", () -> method("G T"), "expected: an HTTP method token"),
        row("method(dup)", () -> method("GET", "get"), "'get' at index 1 repeats index 0"),
        row("path(v2/)", () -> pathPrefix("v2/"), "expected: starts with '/'"),
        row("path('')", () -> pathPrefix(""), "expected: starts with '/'"),
        row("path(/a/../b)", () -> pathPrefix("/a/../b/"), "expected: a normalised path prefix"),
        row("path(/a//b)", () -> pathPrefix("/a//b"), "expected: a normalised path prefix"),
        row("path(/a?x)", () -> pathPrefix("/a?x"), "expected: a normalised path prefix"),
        row("path(/a%zz)", () -> pathPrefix("/a%zz"), "expected: a normalised path prefix"),
        row("path(dup)", () -> pathPrefix("/v2", "/v2/"), "'/v2/' at index 1 repeats index 0"),
        row("header(bad name)", () -> header("X Team", "a"), "expected: a header name"),
        row("header(empty text)", () -> header("X-Team", ""), "expected: some text"),
        row("headerMatching(bad regex)", () -> headerMatching("X-Team", "a("), "expected: a valid regular expression"),
        row("headerMatching(empty)", () -> headerMatching("X-Team", ""), "expected: a regular expression"),
        row("userAgent('')", () -> userAgent(""), "expected: some text"),
        row("userAgentMatching([)", () -> userAgentMatching("["), "expected: a valid regular expression"),
        row("and()", () -> and(), "at least one"),
        row("or(null)", () -> or(port(1), null), "null strategy"),
        row("not(null)", () -> not(null), "expected: a strategy"));
  }

  private static Arguments row(String name, Supplier<RouteStrategy> factory, String message) {
    return Arguments.of(name, factory, message);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidFactories")
  void invalidInputIsRejected(String name, Supplier<RouteStrategy> factory, String message) {
    InvalidSettingException e = assertThrows(InvalidSettingException.class, factory::get);
    assertTrue(e.getMessage().contains(message), () -> "message '" + e.getMessage() + "' lacks '" + message + "'");
    assertEquals(e.setting() + ": " + e.problem(), e.getMessage());
  }

  /** The setting names the parameter, so a caller can point at its own source of the value. */
  @ParameterizedTest(name = "{0} -> {2}")
  @MethodSource("settings")
  void invalidInputNamesTheSetting(String name, Supplier<RouteStrategy> factory, String setting, String problem) {
    InvalidSettingException e = assertThrows(InvalidSettingException.class, factory::get);
    assertEquals(setting, e.setting());
    assertEquals(problem, e.problem());
  }

  static Stream<Arguments> settings() {
    return Stream.of(
        Arguments.of("port(0)", (Supplier<RouteStrategy>) () -> port(0), "port", "0 (expected: 1-65535)"),
        Arguments.of("host(a..b)", (Supplier<RouteStrategy>) () -> host("a..b"), "host",
            "'a..b' (expected: a host name of letters, digits and hyphens such as registry.example.com)"),
        Arguments.of("method(G T)", (Supplier<RouteStrategy>) () -> method("G T"), "method",
            "'G T' (expected: an HTTP method token such as GET)"),
        Arguments.of("path(v2)", (Supplier<RouteStrategy>) () -> pathPrefix("v2"), "path", "'v2' (expected: starts with '/')"),
        Arguments.of("header(X Team, a)", (Supplier<RouteStrategy>) () -> header("X Team", "a"), "name",
            "'X Team' (expected: a header name such as X-Team)"),
        Arguments.of("header(X-Team, '')", (Supplier<RouteStrategy>) () -> header("X-Team", ""), "text",
            "'' for header X-Team (expected: some text)"),
        Arguments.of("headerMatching(X-Team, '')", (Supplier<RouteStrategy>) () -> headerMatching("X-Team", ""), "regex",
            "'' (expected: a regular expression)"),
        Arguments.of("userAgentMatching(a()", (Supplier<RouteStrategy>) () -> userAgentMatching("a("), "regex",
            "'a(' (expected: a valid regular expression: Unclosed group)"),
        Arguments.of("and()", (Supplier<RouteStrategy>) () -> and(), "strategies", "none given (expected: at least one)"));
  }

  // ---- matching ------------------------------------------------------------------------------

  @ParameterizedTest(name = "{0} matches {1}: {2}")
  @CsvSource({
      "*.example.com, a.example.com, true",
      "*.example.com, A.Example.COM, true",
      "*.example.com, a.example.com., true",
      "*.example.com, a.example.com:5001, true",
      "*.example.com, example.com, false",
      "*.example.com, a.b.example.com, false",
      "*.example.com, aexample.com, false",
      "*.example.com, a.example.org, false",
      "registry.example.com, registry.example.com, true",
      "registry.example.com, REGISTRY.example.com., true",
      "registry.example.com, registry.example.com:443, true",
      "registry.example.com, x.registry.example.com, false",
      "registry.example.com, '', false",
  })
  void hostMatchesExactNamesAndOneLabelWildcards(String pattern, String requestHost, boolean expected) {
    assertEquals(expected, host(pattern).matches(get(requestHost, "/")));
  }

  @ParameterizedTest(name = "{0} matches {1}: {2}")
  @CsvSource({
      "/v2/, /v2, true",
      "/v2/, /v2/, true",
      "/v2/, /v2/x, true",
      "/v2/, /v2/x/y/, true",
      "/v2/, /v2x, false",
      "/v2/, /v, false",
      "/v2/, /, false",
      "/v2/, /v1/v2/, false",
      "/v2, /v2/x, true",
      "/v2, /v2x, false",
      "/, /, true",
      "/, /anything, true",
      "/repository/docker-hosted/, /repository/docker-hosted, true",
      "/repository/docker-hosted/, /repository/docker-hosted-b/, false",
  })
  void pathPrefixMatchesWholeSegments(String prefix, String path, boolean expected) {
    assertEquals(expected, pathPrefix(prefix).matches(get("a.com", path)));
  }

  @ParameterizedTest(name = "method(GET) matches {0}: {1}")
  @CsvSource({"GET, true", "HEAD, false", "POST, false", "get, false"})
  void headIsNotGet(String requestMethod, boolean expected) {
    assertEquals(expected, method("get").matches(RequestView.builder().method(requestMethod).build()));
  }

  @ParameterizedTest(name = "{0}: {1} contains {2}: {3}")
  @CsvSource({
      "User-Agent, docker/24.0.7 go/go1.20, Docker, true",
      "user-agent, DOCKER/24, docker, true",
      "User-Agent, containerd/1.7, docker, false",
      "X-Team, Core-Platform, platform, true",
      "X-Other, platform, platform, false",
  })
  void headerContainsIgnoresCase(String sentName, String sentValue, String text, boolean expected) {
    RequestView request = RequestView.builder().header(sentName, sentValue).build();
    RouteStrategy strategy = sentName.equalsIgnoreCase("User-Agent") ? userAgent(text) : header("X-Team", text);
    assertEquals(expected, strategy.matches(request));
  }

  @ParameterizedTest(name = "{0} finds in {1}: {2}")
  @CsvSource({
      "docker/2[0-9], docker/24.0.7 go/go1.20, true",
      "^docker, x docker/24, false",
      "go1\\.2, docker/24.0.7 go/go1.20, true",
      "Docker, docker/24, false",
  })
  void regexIsFound(String regex, String value, boolean expected) {
    RequestView request = RequestView.builder().header("User-Agent", value).build();
    assertEquals(expected, userAgentMatching(regex).matches(request));
    assertEquals(expected, headerMatching("user-agent", regex).matches(request));
  }

  @Test
  void missingHeaderNeverMatches() {
    RequestView request = RequestView.builder().build();
    assertFalse(header("X-Team", "a").matches(request));
    assertFalse(headerMatching("X-Team", ".*").matches(request));
    assertFalse(userAgent("docker").matches(request));
  }

  @ParameterizedTest(name = "port {0}, listener {1}")
  @CsvSource({"8086, push, true, true", "8087, pull, false, false", "8086, , true, false"})
  void portAndListener(int localPort, String listenerName, boolean portMatch, boolean listenerMatch) {
    RequestView request = RequestView.builder().localPort(localPort).listenerName(listenerName).build();
    assertEquals(portMatch, port(8086).matches(request));
    assertEquals(listenerMatch, listener("push").matches(request));
  }

  @ParameterizedTest(name = "{0} {1} {2}: {3}")
  @CsvSource({
      // host(a.com) && (method(GET) || path(/v2/)), and !port(1)
      "a.com, GET, /x, 2, true",
      "a.com, PUT, /v2/x, 2, true",
      "a.com, PUT, /x, 2, false",
      "b.com, GET, /v2/, 2, false",
      "a.com, GET, /x, 1, false",
  })
  void andOrNotCompose(String h, String m, String path, int localPort, boolean expected) {
    RouteStrategy rule = host("a.com").and(method("GET").or(pathPrefix("/v2/"))).and(port(1).negate());
    RequestView request = RequestView.builder().host(h).method(m).path(path).localPort(localPort).build();
    assertEquals(expected, rule.matches(request));
    assertEquals("host(a.com) && (method(GET) || path(/v2/)) && !port(1)", rule.toString());
  }

  @Test
  void precedenceFollowsTheCallsNotTheOperators() {
    RouteStrategy aOrBAndC = port(1).or(port(2)).and(method("GET"));
    RouteStrategy aOrBandC = port(1).or(port(2).and(method("GET")));
    RequestView port1Put = RequestView.builder().localPort(1).method("PUT").build();
    assertFalse(aOrBAndC.matches(port1Put));
    assertTrue(aOrBandC.matches(port1Put));
    assertEquals("(port(1) || port(2)) && method(GET)", aOrBAndC.toString());
    assertEquals("(port(1) || port(2) && method(GET))", aOrBandC.toString());
  }

  @Test
  void userLambdaComposes() {
    RouteStrategy team = request -> request.header("X-Team") != null;
    RouteStrategy rule = host("a.com").and(team);
    assertTrue(rule.matches(RequestView.builder().host("a.com").header("X-Team", "x").build()));
    assertFalse(rule.matches(RequestView.builder().host("a.com").build()));
    assertFalse(rule.matches(RequestView.builder().host("b.com").header("X-Team", "x").build()));
    assertTrue(team.negate().or(port(9)).matches(RequestView.builder().build()));
  }

  // ---- value equality ------------------------------------------------------------------------

  static Stream<Arguments> equalPairs() {
    return Stream.of(
        Arguments.of(port(1, 2), port(1, 2)),
        Arguments.of(listener("a"), listener(" a ")),
        Arguments.of(host("A.com."), host("a.com")),
        Arguments.of(host("*.a.com", "b.com"), host("*.A.com", "B.com")),
        Arguments.of(method("get"), method("GET")),
        Arguments.of(pathPrefix("/v2"), pathPrefix("/v2/")),
        Arguments.of(header("X-Team", "a"), header("X-Team", "a")),
        Arguments.of(headerMatching("X-Team", "^a"), headerMatching(" X-Team ", "^a")),
        Arguments.of(userAgent("docker"), userAgent("docker")),
        Arguments.of(userAgentMatching("^d"), userAgentMatching("^d")),
        Arguments.of(host("a.com").and(method("GET")), and(host("a.com"), method("get"))),
        Arguments.of(port(1).or(port(2)), or(port(1), port(2))),
        Arguments.of(not(port(1)), port(1).negate()),
        Arguments.of(and(port(1), and(port(2), port(3))), and(and(port(1), port(2)), port(3))));
  }

  @ParameterizedTest(name = "{0} equals {1}")
  @MethodSource("equalPairs")
  void equalStrategiesAreEqual(RouteStrategy a, RouteStrategy b) {
    assertEquals(a, b);
    assertEquals(a.hashCode(), b.hashCode());
    assertEquals(a.toString(), b.toString());
  }

  @Test
  void differentStrategiesDiffer() {
    assertNotEquals(port(1), port(2));
    assertNotEquals(host("a.com"), host("*.a.com"));
    assertNotEquals(headerMatching("X-Team", "^a"), headerMatching("X-Team", "^b"));
    assertNotEquals(port(1).and(port(2)), port(1).or(port(2)));
    assertSame(any(), and(any(), any()));
  }

  @org.junit.jupiter.api.Test
  void headerStrategiesAreEqualWhateverTheCaseOfNameAndText() {
    org.junit.jupiter.api.Assertions.assertEquals(header("X-Team", "Blue"), header("x-team", "blue"));
    org.junit.jupiter.api.Assertions.assertEquals(header("X-Team", "Blue").hashCode(), header("x-team", "blue").hashCode());
  }

  @Test
  void aNamedLambdaPrintsAsItsRuleAndStillMatches() {
    RouteStrategy teamA = RouteStrategy.named("team(a)", r -> r.path().startsWith("/v2/team-a/"));
    assertEquals("team(a)", teamA.toString());
    assertEquals("host(registry.example.com) && team(a)", host("registry.example.com").and(teamA).toString());
    assertTrue(teamA.matches(RequestView.builder().path("/v2/team-a/app/manifests/1").build()));
    assertFalse(teamA.matches(RequestView.builder().path("/v2/team-b/app/manifests/1").build()));
    assertEquals("rule", assertThrows(InvalidSettingException.class, () -> RouteStrategy.named(" ", r -> true)).setting());
  }

  @Test
  void theTestViewNormalisesPathsAsTheProxyDoes() {
    assertEquals("/v2/b", RequestView.builder().path("/v2/a/../b").build().path());
    assertEquals("/v2/x", RequestView.builder().path("//v2//x").build().path());
    // A strategy under test sees /v2/team-b here, as it would in production.
    RouteStrategy teamA = pathPrefix("/v2/team-a/");
    assertFalse(teamA.matches(RequestView.builder().path("/v2/team-a/../team-b/x").build()));
    InvalidSettingException e = assertThrows(InvalidSettingException.class,
        () -> RequestView.builder().path("/v2/../../service"));
    assertEquals("path", e.setting());
  }
}
