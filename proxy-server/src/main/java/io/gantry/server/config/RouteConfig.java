package io.gantry.server.config;

import com.typesafe.config.Config;
import io.gantry.proxy.header.HeaderRules;
import io.gantry.proxy.route.AccessRules;
import io.gantry.proxy.route.Route;
import io.gantry.proxy.route.RouteStrategy;
import io.gantry.proxy.upstream.Upstream;
import java.util.List;

/**
 * One element of {@code gantry.routes}: conditions (AND-ed), the upstream and the line it came
 * from. Absent conditions are empty lists or {@code null}. The {@link #strategy()} is built once at
 * load time, in the order listener, host, method, path, user-agent, header, strategy.
 *
 * @param index 0-based position in {@code gantry.routes}
 * @param name the route name, {@code route-<index+1>} unless set
 * @param listeners listener names, or empty for every listener
 * @param hosts host names or {@code *.domain} wildcards, or empty for every host
 * @param methods HTTP methods, or empty for every method
 * @param paths path prefixes, or empty for every path
 * @param userAgent the {@code User-Agent} condition, or {@code null}
 * @param header a header condition, or {@code null}
 * @param userStrategy a user strategy class, or {@code null}
 * @param to the upstream name
 * @param allowEncodedSlashes whether {@code %2F} in paths is forwarded
 * @param requestHeaders headers set, added or removed on the upstream request
 * @param responseHeaders headers set, added or removed on the client response
 * @param clientLimits this route's own per-client limits, or {@code null} for the proxy's
 * @param access client address rules and denied paths ({@code allow-from}, {@code deny-from}, {@code deny-paths})
 * @param strategy the compiled conditions
 * @param file the file the route is declared in
 * @param line the line it is declared on
 */
public record RouteConfig(
    int index,
    String name,
    List<String> listeners,
    List<String> hosts,
    List<String> methods,
    List<String> paths,
    TextMatch userAgent,
    HeaderMatch header,
    UserStrategy userStrategy,
    String to,
    boolean allowEncodedSlashes,
    HeaderRules requestHeaders,
    HeaderRules responseHeaders,
    AccessRules access,
    ClientLimitsConfig clientLimits,
    RouteStrategy strategy,
    String file,
    int line) {

  public RouteConfig {
    listeners = List.copyOf(listeners);
    hosts = List.copyOf(hosts);
    methods = List.copyOf(methods);
    paths = List.copyOf(paths);
  }

  /** The library route, sent to {@code upstream}. */
  public Route toRoute(Upstream upstream) {
    Route.Builder b = Route.builder(name).when(strategy).to(upstream).allowEncodedSlashes(allowEncodedSlashes)
        .requestHeaders(requestHeaders).responseHeaders(responseHeaders).access(access);
    if (clientLimits != null) {
      b.clientLimits(clientLimits.toLimits());
    }
    return b.build();
  }

  /**
   * A text condition on a header value: exactly one of a case-insensitive substring or a regex
   * (found anywhere in the value).
   */
  public record TextMatch(String contains, String regex) {}

  /** A condition on the header {@code name}: exactly one of {@code contains} or {@code regex}. */
  public record HeaderMatch(String name, String contains, String regex) {}

  /**
   * A user's own {@link RouteStrategy} class and the {@code config} block given to its
   * constructor (empty when none).
   */
  public record UserStrategy(String className, Config config) {}
}
