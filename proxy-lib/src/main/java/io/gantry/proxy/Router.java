package io.gantry.proxy;

import io.gantry.proxy.path.PathNormalizer;
import io.gantry.proxy.path.UnsafePathException;
import io.gantry.proxy.route.RequestView;
import io.gantry.proxy.route.Route;
import io.gantry.proxy.route.RouteTable;
import java.util.Set;
import java.util.function.Function;

/**
 * Decides where a request goes: normalises its path, finds the first matching route, and builds
 * the upstream URL. Everything a request can be refused for before any backend is contacted is
 * decided here: an unsafe path (400), TRACE, TRACK and CONNECT (405), no matching route (404), an
 * encoded slash on a route that does not allow it (400). Both engines and {@code gantry explain}
 * ask this one class, so what {@code explain} prints is what the proxy does.
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

  /** Answer {@code status} without contacting a backend; {@code route} is null unless one matched. */
  public record Refuse(int status, String reason, Route route, String path) implements Decision {}

  /**
   * Decides for a request with the given raw (percent-encoded) path and query.
   *
   * @param viewOfPath makes the request view routes are matched on, given the normalised path
   */
  public Decision decide(String rawPath, String rawQuery, Function<String, RequestView> viewOfPath) {
    String path;
    try {
      path = PathNormalizer.normalize(rawPath);
    } catch (UnsafePathException e) {
      return new Refuse(400, e.getMessage(), null, null);
    }
    RequestView view = viewOfPath.apply(path);
    if (REFUSED_METHODS.contains(view.method())) {
      return new Refuse(405, "method " + view.method() + " is not proxied", null, path);
    }
    Route route = table.match(view);
    if (route == null) {
      return new Refuse(404, "no route", null, path);
    }
    if (!route.allowEncodedSlashes() && path.indexOf("%2F") >= 0) {
      return new Refuse(400, "encoded slash in path", route, path);
    }
    return new Forward(route, path, route.upstream().target(path, rawQuery));
  }
}
