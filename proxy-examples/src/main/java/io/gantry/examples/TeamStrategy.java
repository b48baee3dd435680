// Run it from Java (from the repository's root; it starts demo upstreams of its own):
//   mvn -q -pl proxy-examples -am install exec:java -DskipTests -Dexec.mainClass=io.gantry.examples.TeamStrategy
// then: curl -H 'X-Team: a' localhost:8080/v2/ ; curl -H 'X-Team: B' localhost:8080/v2/ ; curl localhost:8080/v2/
// From gantry's config, see proxy-examples/conf/teams.conf (its first lines say how to run it).
package io.gantry.examples;

import static io.gantry.proxy.route.RouteStrategies.any;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.gantry.proxy.RoutingProxyHandler;
import io.gantry.proxy.route.RequestView;
import io.gantry.proxy.route.Route;
import io.gantry.proxy.route.RouteStrategy;
import io.gantry.proxy.route.RouteTable;
import io.gantry.proxy.upstream.Upstream;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * A strategy of your own with settings: matches requests whose team header ({@code X-Team} by
 * default) names one of the given teams, case-insensitively. It prints as the rule it is, {@code
 * team(a,b)} (or {@code team(X-Squad: a,b)} with another header), and compares by value.
 *
 * <p>From Java, a constructor (or, for a one-off rule, a lambda wrapped by {@link
 * RouteStrategy#named} so that the route table still prints it):
 *
 * <pre>{@code
 * Route.of("team-a", new TeamStrategy("X-Team", List.of("a")), teamA)
 * Route.of("team-b", RouteStrategy.named("team(b)", request -> "b".equalsIgnoreCase(request.header("X-Team"))), teamB)
 * }</pre>
 *
 * <p>From gantry's config, by class name with a {@code config} block, which gantry passes to the
 * public constructor taking {@link Config} once, at load time (the examples jar in {@code lib/}):
 *
 * <pre>
 * { name = team-a, strategy { class = io.gantry.examples.TeamStrategy, config { teams = [a, ops] } }, to = team-a }
 * </pre>
 *
 * <p>Validation happens in the constructor, once; its message is reported by gantry with the
 * file, line and key of the route ({@code teams: [] (expected: at least one team name)}).
 * Matching only looks a header up in a set. Typesafe Config is needed only by the config
 * constructor: the server has it; an application using the Java constructor does not need it.
 */
public final class TeamStrategy implements RouteStrategy {
  /** The header naming the team, when the config has no {@code header}. */
  public static final String DEFAULT_HEADER = "X-Team";

  private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

  private final String header;
  private final Set<String> teams;
  private final String rule;

  /**
   * Matches requests whose {@code header} names one of {@code teams}.
   *
   * @throws IllegalArgumentException for a header that is not a header name, no team, a blank or
   *     a repeated team
   */
  public TeamStrategy(String header, List<String> teams) {
    if (header == null || !TOKEN.matcher(header).matches()) {
      throw new IllegalArgumentException("header: '" + header + "' (expected: a header name such as X-Team)");
    }
    if (teams == null || teams.isEmpty()) {
      throw new IllegalArgumentException("teams: " + teams + " (expected: at least one team name)");
    }
    Set<String> normalised = new LinkedHashSet<>();
    List<String> seen = new ArrayList<>();
    for (int i = 0; i < teams.size(); i++) {
      String team = teams.get(i) == null ? "" : teams.get(i).trim().toLowerCase(Locale.ROOT);
      if (team.isEmpty()) {
        throw new IllegalArgumentException("teams[" + i + "]: '" + teams.get(i) + "' (expected: a team name)");
      }
      if (!normalised.add(team)) {
        throw new IllegalArgumentException("teams[" + i + "]: '" + teams.get(i) + "' repeats teams[" + seen.indexOf(team)
            + "] (expected: each team once)");
      }
      seen.add(team);
    }
    this.header = header;
    this.teams = Set.copyOf(normalised);
    this.rule = "team(" + (header.equalsIgnoreCase(DEFAULT_HEADER) ? "" : header + ": ") + String.join(",", normalised) + ")";
  }

  /**
   * What gantry's config calls: {@code config { teams = [a, b], header = X-Team }}; {@code teams}
   * is required, {@code header} defaults to {@value #DEFAULT_HEADER}. Unknown keys are refused, so
   * a typo is an error rather than a silent default.
   *
   * @throws IllegalArgumentException for an unknown key or an invalid value
   */
  public TeamStrategy(Config config) {
    this(ConfigBlock.header(config), ConfigBlock.teams(config));
  }

  /**
   * Reads the config block. A class of its own so that Typesafe Config is loaded only when gantry
   * calls the config constructor: the JVM verifies a class's exception handlers when it loads it.
   */
  private static final class ConfigBlock {
    private static final List<String> KEYS = List.of("teams", "header");

    /** The header; read first, so it also refuses unknown keys before anything else is read. */
    static String header(Config config) {
      Set<String> unknown = new TreeSet<>(config.root().keySet());
      unknown.removeAll(KEYS);
      if (!unknown.isEmpty()) {
        throw new IllegalArgumentException("unknown key " + String.join(", ", unknown) + " (expected: " + String.join(", ", KEYS) + ")");
      }
      try {
        return config.hasPath("header") ? config.getString("header") : DEFAULT_HEADER;
      } catch (ConfigException.WrongType e) {
        throw new IllegalArgumentException("header: " + config.getValue("header").render() + " (expected: a header name such as X-Team)");
      }
    }

    static List<String> teams(Config config) {
      if (!config.hasPath("teams")) {
        throw new IllegalArgumentException("teams: missing (expected: a list of team names, teams = [a, b])");
      }
      try {
        return config.getStringList("teams");
      } catch (ConfigException.WrongType e) {
        throw new IllegalArgumentException("teams: " + config.getValue("teams").render() + " (expected: a list of team names, teams = [a, b])");
      }
    }
  }

  @Override
  public boolean matches(RequestView request) {
    String team = request.header(header);
    return team != null && teams.contains(team.trim().toLowerCase(Locale.ROOT));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TeamStrategy t && t.header.equalsIgnoreCase(header) && t.teams.equals(teams);
  }

  @Override
  public int hashCode() {
    return header.toLowerCase(Locale.ROOT).hashCode() * 31 + teams.hashCode();
  }

  /** The rule as a user would write it: {@code team(a,b)}. */
  @Override
  public String toString() {
    return rule;
  }

  /**
   * The route table of the Java example: team a (by this class), team b (by a named lambda), and
   * everyone else, each to its own upstream.
   */
  public static RouteTable routes(String teamAUrl, String teamBUrl, String othersUrl) {
    return RouteTable.builder()
        .route(Route.of("team-a", new TeamStrategy(DEFAULT_HEADER, List.of("a")), Upstream.of(teamAUrl)))
        .route(Route.of("team-b", RouteStrategy.named("team(b)", request -> "b".equalsIgnoreCase(request.header("X-Team"))),
            Upstream.of(teamBUrl)))
        .route(Route.of("others", any(), Upstream.of(othersUrl)))
        .build();
  }

  public static void main(String[] args) throws Exception {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 8080;
    DemoUpstream a = DemoUpstream.start("team-a");
    DemoUpstream b = DemoUpstream.start("team-b");
    DemoUpstream others = DemoUpstream.start("others");
    RouteTable routes = routes(a.url(), b.url(), others.url());
    Server server = new Server(port);
    server.setHandler(RoutingProxyHandler.builder().routes(routes).build());
    server.start();
    System.out.println("team routing on port " + ((ServerConnector) server.getConnectors()[0]).getLocalPort()
        + "; routes:\n" + routes);
    server.join();
  }
}
