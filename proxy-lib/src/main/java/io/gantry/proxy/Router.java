package io.gantry.proxy;

import io.gantry.proxy.path.PathNormalizer;
import io.gantry.proxy.path.UnsafePathException;
import io.gantry.proxy.route.AccessRules;
import io.gantry.proxy.route.RequestView;
import io.gantry.proxy.route.Route;
import io.gantry.proxy.route.RouteTable;
import java.util.Set;
import java.util.function.Function;

/**
 * Decides where a request goes: checks that the client addresses the host its TLS connection is
 * for, normalises the path, finds the first matching route, and builds the upstream URL.
 * Everything a request can be refused for before any backend is contacted is decided here:
 *
 * <ul>
 *   <li>421 when the SNI name and {@code Host} disagree (Jetty's own check compares {@code Host}
 *       with the <em>certificate</em>, which a wildcard certificate defeats);
 *   <li>400 for an unsafe path, 405 for TRACE, TRACK and CONNECT;
 *   <li>no route: 421 on TLS when no route serves the host on this listener (the client should try
 *       another connection), 404 otherwise;
 *   <li>403 for a client address or path the route's {@link AccessRules} refuse;
 *   <li>400 for an encoded slash on a route that does not allow it.
 * </ul>
 *
 * Both engines and {@code gantry explain} ask this one class, so what {@code explain} prints is
 * what the proxy does.
 */
public final class Router {
  /**
   * TRACE/TRACK echo the request, credentials included, back to whoever can read the response
   * (cross-site tracing); CONNECT would turn a reverse proxy into a tunnel.
   */
  private static final Set<String> REFUSED_METHODS = Set.of("TRACE", "TRACK", "CONNECT");

  private final RouteTable table;

  public Router(RouteTable table) {
    this.table = table;
  }

  public RouteTable table() {
    return table;
  }

  /** The outcome for one request. */
  public sealed interface Decision permits Forward, Refuse {}

  /** Forward to {@code target} (the full upstream URL) on {@code route}. */
  public record Forward(Route route, String path, String target) implements Decision {}

  /**
   * Answer {@code status} without contacting a backend; {@code kind} says why, for metrics, {@code
   * reason} in words, for the client; {@code route} is null unless one matched.
   */
  public record Refuse(int status, Refusal kind, String reason, Route route, String path) implements Decision {}

  /**
   * Decides for a request that arrived as {@code arrival}, with the given raw (percent-encoded)
   * path and query.
   *
   * @param viewOfPath makes the request view routes are matched on, given the normalised path
   */
  public Decision decide(Arrival arrival, String rawPath, String rawQuery, Function<String, RequestView> viewOfPath) {
    if (arrival.misdirected()) {
      return new Refuse(421, Refusal.MISDIRECTED, "this connection is for " + arrival.sniHost() + ", not " + hostForMessage(arrival.host()),
          null, null);
    }
    Decision decision = decide(rawPath, rawQuery, viewOfPath);
    if (decision instanceof Refuse refuse && refuse.status() == 404
        && !table.acceptsHost(arrival.routingHost(), arrival.localPort(), arrival.listener())) {
      return new Refuse(arrival.secure() ? 421 : 404, Refusal.UNKNOWN_HOST,
          "no routes for " + hostForMessage(arrival.routingHost()) + " on this port", null, refuse.path());
    }
    return decision;
  }

  /**
   * Decides on the path and request view alone, without the SNI/Host check: for a request whose
   * host is known to be served here.
   *
   * @param viewOfPath makes the request view routes are matched on, given the normalised path
   */
  public Decision decide(String rawPath, String rawQuery, Function<String, RequestView> viewOfPath) {
    String path;
    try {
      path = PathNormalizer.normalize(rawPath);
    } catch (UnsafePathException e) {
      return new Refuse(400, Refusal.UNSAFE_PATH, e.getMessage(), null, null);
    }
    RequestView view = viewOfPath.apply(path);
    if (REFUSED_METHODS.contains(view.method())) {
      return new Refuse(405, Refusal.METHOD_NOT_ALLOWED, "method " + view.method() + " is not proxied", null, path);
    }
    Route route = table.match(view);
    if (route == null) {
      return new Refuse(404, Refusal.NO_ROUTE, "no route for this request", null, path);
    }
    // Most routes have no access rules: then the client address is not even formatted.
    AccessRules access = route.access();
    AccessRules.Denial denial = access.isEmpty() ? null : access.check(view.clientAddress(), path);
    if (denial != null) {
      return new Refuse(403, Refusal.FORBIDDEN, denial.reason() + " (" + denial.rule() + ")", route, path);
    }
    if (!route.allowEncodedSlashes() && path.indexOf("%2F") >= 0) {
      return new Refuse(400, Refusal.ENCODED_SLASH, "encoded slash in path", route, path);
    }
    return new Forward(route, path, route.upstream().target(path, rawQuery));
  }

  /** A host name tame enough to echo in an error body, which a hostile client can make it say. */
  private static String hostForMessage(String host) {
    if (host.isEmpty()) {
      return "an empty host";
    }
    return host.length() <= 253 && host.matches("[a-z0-9.:\\[\\]_-]+") ? host : "this host";
  }
}
