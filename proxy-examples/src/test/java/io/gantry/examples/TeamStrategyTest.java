package io.gantry.examples;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.inject.Guice;
import com.typesafe.config.ConfigFactory;
import io.gantry.proxy.RoutingProxyHandler;
import io.gantry.proxy.route.RequestView;
import io.gantry.proxy.route.RouteTable;
import io.gantry.server.GantryModule;
import io.gantry.server.GantryServer;
import io.gantry.server.config.ConfigLoader;
import io.gantry.server.config.InvalidConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link TeamStrategy} from Java (the example's route table in a real handler) and from gantry's
 * config ({@code proxy-examples/conf/teams.conf} in the real server), against real upstreams.
 */
class TeamStrategyTest {
  private static final Path TEAMS_CONF = Path.of("conf/teams.conf");

  @ParameterizedTest(name = "{0}: {1} -> {2}")
  @CsvSource(nullValues = "null", value = {
      "X-Team, a,            true",
      "X-Team, A,            true",   // team names are case-insensitive
      "x-team, ' ops ',      true",   // so is the header name; surrounding blanks ignored
      "X-Team, b,            false",
      "X-Team, '',           false",
      "X-Team, 'a,ops',      false",  // one team per request, not a list
      "X-Squad, a,           false",  // another header
      "null,   null,         false",
  })
  void matchesTheTeamHeaderOnly(String header, String value, boolean matches) {
    RequestView.Builder request = RequestView.builder();
    if (header != null) {
      request.header(header, value);
    }
    assertEquals(matches, new TeamStrategy("X-Team", List.of("a", "Ops")).matches(request.build()));
  }

  @Test
  void invalidSettingsAreRefusedAtConstruction() {
    assertRefused("teams: [] (expected: at least one team name)", "X-Team");
    assertRefused("teams[1]: ' ' (expected: a team name)", "X-Team", "a", " ");
    assertRefused("teams[1]: 'null' (expected: a team name)", "X-Team", "a", null);
    assertRefused("teams[2]: 'A' repeats teams[0] (expected: each team once)", "X-Team", "a", "b", "A");
    assertRefused("header: 'X Team' (expected: a header name such as X-Team)", "X Team", "a");
    assertRefused("header: 'X-Team\r\nX-Admin: 1' (expected: a header name such as X-Team)", "X-Team\r\nX-Admin: 1", "a");
    assertRefused("header: 'null' (expected: a header name such as X-Team)", null, "a");
  }

  private static void assertRefused(String message, String header, String... teams) {
    List<String> list = Arrays.asList(teams);
    assertEquals(message, assertThrows(IllegalArgumentException.class, () -> new TeamStrategy(header, list)).getMessage());
  }

  @Test
  void printsAsTheRuleAndComparesByValue() {
    assertEquals("team(a,ops)", new TeamStrategy("X-Team", List.of("a", "OPS")).toString());
    assertEquals("team(X-Squad: b)", new TeamStrategy("X-Squad", List.of("b")).toString());
    assertEquals(new TeamStrategy("x-team", List.of("A")), new TeamStrategy("X-Team", List.of("a")));
    assertEquals(new TeamStrategy("x-team", List.of("A")).hashCode(), new TeamStrategy("X-Team", List.of("a")).hashCode());
    assertNotEquals(new TeamStrategy("X-Team", List.of("a")), new TeamStrategy("X-Team", List.of("a", "b")));
  }

  @Test
  void theConfigConstructorReadsTheBlockAndRefusesTypos() {
    assertEquals(new TeamStrategy("X-Squad", List.of("a")),
        new TeamStrategy(ConfigFactory.parseString("teams = [a], header = X-Squad")));
    assertEquals("team(a,b)", new TeamStrategy(ConfigFactory.parseString("teams = [a, b]")).toString());
    assertEquals("unknown key temas (expected: teams, header)", assertThrows(IllegalArgumentException.class,
        () -> new TeamStrategy(ConfigFactory.parseString("temas = [a]"))).getMessage());
    assertEquals("teams: missing (expected: a list of team names, teams = [a, b])", assertThrows(IllegalArgumentException.class,
        () -> new TeamStrategy(ConfigFactory.parseString("header = X-Team"))).getMessage());
    assertEquals("teams: \"a\" (expected: a list of team names, teams = [a, b])", assertThrows(IllegalArgumentException.class,
        () -> new TeamStrategy(ConfigFactory.parseString("teams = a"))).getMessage());
  }

  @Test
  void fromJavaEachTeamReachesItsUpstream() throws Exception {
    try (DemoUpstream a = DemoUpstream.start("team-a");
        DemoUpstream b = DemoUpstream.start("team-b");
        DemoUpstream others = DemoUpstream.start("others")) {
      RouteTable routes = TeamStrategy.routes(a.url(), b.url(), others.url());
      assertTrue(routes.toString().contains("team-a: team(a) -> "), routes.toString());
      assertTrue(routes.toString().contains("team-b: team(b) -> "), routes.toString());

      Server server = new Server(0);
      server.setHandler(RoutingProxyHandler.builder().routes(routes).build());
      server.start();
      try {
        int port = ((ServerConnector) server.getConnectors()[0]).getLocalPort();
        assertEquals("team-a: GET /v2/", given().port(port).header("X-Team", "A").get("/v2/").then().statusCode(200).extract().asString());
        assertEquals("team-b: GET /v2/", given().port(port).header("X-Team", "b").get("/v2/").then().statusCode(200).extract().asString());
        assertEquals("others: GET /v2/", given().port(port).header("X-Team", "c").get("/v2/").then().statusCode(200).extract().asString());
        assertEquals("others: GET /v2/", given().port(port).get("/v2/").then().statusCode(200).extract().asString());
      } finally {
        server.stop();
      }
    }
  }

  @Test
  void fromTheServersConfigTheExampleFileRoutesEachTeam() throws Exception {
    try (DemoUpstream a = DemoUpstream.start("team-a");
        DemoUpstream b = DemoUpstream.start("team-b");
        DemoUpstream shared = DemoUpstream.start("shared")) {
      GantryServer gantry = Guice.createInjector(new GantryModule(ConfigLoader.defaults()
              .withVariables(Map.of("GANTRY_PORT", "0", "GANTRY_ADMIN_PORT", "0",
                  "TEAM_A_URL", a.url() + "repository/team-a/", "TEAM_B_URL", b.url() + "repository/team-b/",
                  "SHARED_URL", shared.url() + "repository/shared/"))
              .load(TEAMS_CONF)))
          .getInstance(GantryServer.class);
      gantry.start();
      try {
        assertTrue(gantry.routes().toString().contains("team(a,ops)"), gantry.routes().toString());
        assertTrue(gantry.routes().toString().contains("team(X-Squad: b)"), gantry.routes().toString());
        int port = gantry.port("http");
        assertEquals("team-a: GET /repository/team-a/v2/",
            given().port(port).header("X-Team", "ops").get("/v2/").then().statusCode(200).extract().asString());
        assertEquals("team-b: GET /repository/team-b/v2/",
            given().port(port).header("X-Squad", "B").get("/v2/").then().statusCode(200).extract().asString());
        // X-Team: b is not team-b's rule (it reads X-Squad): the shared repository.
        assertEquals("shared: GET /repository/shared/v2/",
            given().port(port).header("X-Team", "b").get("/v2/").then().statusCode(200).extract().asString());
      } finally {
        gantry.stop();
      }
    }
  }

  @Test
  void aBadBlockInTheExampleFileStopsTheServerWithFileLineAndKey(@TempDir Path dir) throws Exception {
    Path bad = dir.resolve("teams.conf");
    Files.writeString(bad, Files.readString(TEAMS_CONF).replace("teams = [a, ops]", "teams = []"));
    InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> ConfigLoader.defaults().load(bad));
    String problems = e.problems().toString();
    assertTrue(problems.contains("teams.conf:28: gantry.routes[0].strategy.class: class io.gantry.examples.TeamStrategy:"
        + " constructor failed: teams: [] (expected: at least one team name)"), problems);
  }
}
