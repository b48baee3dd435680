package io.gantry.proxy;

import io.gantry.proxy.Router.Decision;
import io.gantry.proxy.Router.Forward;
import io.gantry.proxy.Router.Refuse;
import io.gantry.proxy.header.ForwardedHeaders;
import io.gantry.proxy.header.HeaderRules;
import io.gantry.proxy.header.ResponseHeaderRewriter;
import io.gantry.proxy.limit.ClientLimits;
import io.gantry.proxy.route.HostNames;
import io.gantry.proxy.route.RouteTable;
import io.gantry.proxy.upstream.InstanceStatus;
import io.gantry.proxy.upstream.Upstream;
import io.gantry.proxy.upstream.UpstreamPools;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The steps of one proxied exchange, the same for both engines: {@link RoutingProxyHandler} and
 * {@link RoutingProxyServlet} call them in this order and only translate Jetty's types.
 *
 * <ol>
 *   <li>{@link #begin}: the arrival, the request id, the route decision, the upstream instance,
 *       listener events;
 *   <li>{@link #refusal}: the answer when gantry refuses the request itself;
 *   <li>{@link #upstreamRequestHeaders}: what crosses to the upstream;
 *   <li>{@link #responded}: the instance answered (its health);
 *   <li>{@link #clientResponseHeaders}: what crosses back, rewritten to the public URL;
 *   <li>{@link #failure}: who failed (the client's body, or the upstream), whether to try another
 *       instance, and what the client gets;
 *   <li>{@link #complete}: the one end of every exchange.
 * </ol>
 */
final class ProxyFlow {
  private static final Logger LOG = LoggerFactory.getLogger(ProxyFlow.class);
  private static final String VIA = "gantry";

  /** RFC 9110 9.2.2: a request that may be sent twice. */
  private static final Set<String> IDEMPOTENT = Set.of("GET", "HEAD", "OPTIONS", "PUT", "DELETE");
  /** Methods whose requests carry no body in practice. */
  private static final Set<String> NO_BODY_EXPECTED = Set.of("GET", "HEAD", "OPTIONS", "DELETE");

  private final ProxySettings settings;
  private final UpstreamPools pools;
  private final HealthChecks checks;
  private volatile Router router;
  /** Per mount path (one, unless a servlet is mapped twice), the rewriter of each upstream. */
  private final Map<String, Map<Upstream, ResponseHeaderRewriter>> rewriters = new ConcurrentHashMap<>();

  ProxyFlow(ProxySettings settings) {
    this.settings = settings;
    this.router = new Router(settings.routes());
    this.pools = new UpstreamPools(this::instanceChanged);
    this.checks = new HealthChecks(pools);
  }

  RouteTable routes() {
    return router.table();
  }

  /** New requests route on {@code routes}; requests already routed finish on the table they began with. */
  void setRoutes(RouteTable routes) {
    this.router = new Router(Objects.requireNonNull(routes, "routes"));
    Set<Upstream> upstreams = upstreams(routes);
    pools.retain(upstreams);
    checks.update(upstreams);
  }

  /** Starts the health checks, with the HTTP client each upstream is reached with. */
  void start(Function<Upstream, HttpClient> clients) {
    checks.start(clients, upstreams(router.table()));
  }

  void stop() {
    checks.stop();
  }

  private static Set<Upstream> upstreams(RouteTable table) {
    Set<Upstream> upstreams = new LinkedHashSet<>();
    table.routes().forEach(route -> upstreams.add(route.upstream()));
    return upstreams;
  }

  /** The state of each instance of {@code upstream}. */
  List<InstanceStatus> instances(Upstream upstream) {
    return pools.status(upstream);
  }

  private void instanceChanged(Upstream upstream, Upstream.Instance instance, InstanceStatus status) {
    if (status.isUp()) {
      LOG.info("upstream instance {} is back", instance);
    } else {
      LOG.warn("upstream instance {} is out of service ({}{}): {}", instance, status.state(),
          status.ejectedForMillis() > 0 ? " for " + status.ejectedForMillis() + " ms" : "", status.lastFailure());
    }
    settings.observer().onInstanceChanged(upstream, status);
  }

  ProxySettings settings() {
    return settings;
  }

  // ---- client request -> decision --------------------------------------------------------------

  /**
   * Starts the exchange of {@code clientRequest} (the core request, also under a servlet one):
   * decides where it goes, keeps the exchange on the request for access logs, and tells observers.
   *
   * @param rawPath the percent-encoded path to route on: the request's, or the part within a mount
   * @param mountPath where the proxy is mounted ({@code /registry}), put back in rewritten
   *     response headers; empty at the root
   * @param passUnmatched whether a request no route matches is left to the next handler: then
   *     nothing is recorded and {@code null} is returned
   */
  ProxyExchange begin(Request clientRequest, String rawPath, String mountPath, boolean passUnmatched) {
    Arrival arrival = Arrival.of(clientRequest);
    Decision decision = router.decide(arrival, rawPath, clientRequest.getHttpURI().getQuery(),
        path -> new CoreRequestView(clientRequest, arrival, path));
    if (passUnmatched && decision instanceof Refuse refuse && refuse.route() == null
        && (refuse.status() == 404 || (refuse.status() == 421 && !arrival.misdirected()))) {
      return null;
    }
    ProxyExchange exchange = new ProxyExchange(
        ProxyExchange.requestId(clientRequest.getHeaders().get(ProxiedHeaders.REQUEST_ID)),
        clientRequest.getMethod(), arrival, System.nanoTime(), mountPath);
    clientRequest.setAttribute(ProxyExchange.ATTRIBUTE, exchange);
    if (decision instanceof Forward forward) {
      decision = admit(clientRequest, exchange, forward);
    }
    if (decision instanceof Forward forward) {
      decision = pick(clientRequest, exchange, forward);
    }
    if (decision instanceof Forward forward) {
      exchange.forwarded(forward);
      settings.observer().onRouted(exchange);
    } else {
      Refuse refuse = (Refuse) decision;
      exchange.refused(refuse);
      logRefusal(exchange, refuse, clientRequest);
      settings.observer().onRefused(exchange, refuse.status(), refuse.reason());
    }
    return exchange;
  }

  /** The forward, or a 429 when the client is over its {@link ClientLimits}. */
  private Decision admit(Request clientRequest, ProxyExchange exchange, Forward forward) {
    ClientLimits limits = forward.route().clientLimits();
    if (!limits.isEnabled()) {
      limits = settings.clientLimits();
    }
    if (!limits.isEnabled()) {
      return forward;
    }
    String address = Request.getRemoteAddr(clientRequest);
    long wait = limits.admit(address);
    if (wait < 0) {
      exchange.admitted(limits, address);
      return forward;
    }
    exchange.retryAfter(wait);
    return new Refuse(429, Refusal.RATE_LIMITED, "too many requests from " + address + ", retry after " + wait + "s",
        forward.route(), forward.path());
  }

  /** The forward to an instance that is up (now on the exchange), or a 503 when none is. */
  private Decision pick(Request clientRequest, ProxyExchange exchange, Forward forward) {
    Upstream upstream = forward.route().upstream();
    Upstream.Instance instance = pools.pick(upstream, upstream.sticky() ? Request.getRemoteAddr(clientRequest) : null, Set.of());
    if (instance == null) {
      // When an instance may be back: its ejection's end, or its next health check.
      long soonest = upstream.healthCheck() == null ? Long.MAX_VALUE : upstream.healthCheck().interval().toMillis();
      for (InstanceStatus status : pools.status(upstream)) {
        soonest = Math.min(soonest, status.ejectedForMillis() > 0 ? status.ejectedForMillis() : Long.MAX_VALUE);
      }
      exchange.retryAfter(soonest == Long.MAX_VALUE ? 1 : Math.max(1, (soonest + 999) / 1000));
      return new Refuse(503, Refusal.UPSTREAM_DOWN, "no instance of the upstream of route '" + forward.route().name()
          + "' is up, retry later", forward.route(), forward.path());
    }
    // The router's target is the first instance's: most upstreams have one, and pay nothing here.
    exchange.sendTo(instance, instance == upstream.instances().get(0) ? forward.target()
        : instance.target(forward.path(), clientRequest.getHttpURI().getQuery()));
    exchange.bodyless(isBodyless(clientRequest));
    pools.started(instance);
    return forward;
  }

  /**
   * Whether the request has no body: {@code Content-Length: 0}, or no length, no {@code
   * Transfer-Encoding} and no {@code Content-Type} (Jetty's own test, ProxyHandler.hasContent).
   */
  private static boolean isBodyless(Request clientRequest) {
    long length = clientRequest.getLength();
    HttpFields headers = clientRequest.getHeaders();
    if (length == 0) {
      return true;
    }
    if (length > 0 || headers.contains(HttpHeader.CONTENT_TYPE) || headers.contains(HttpHeader.TRANSFER_ENCODING)) {
      return false;
    }
    // HTTP/2 has no Transfer-Encoding: a streamed body (Docker's PATCH) has no length either.
    return clientRequest.getConnectionMetaData().getHttpVersion().getVersion() < 20
        || NO_BODY_EXPECTED.contains(clientRequest.getMethod());
  }

  /** Access and limit refusals name the route, the client and the rule; never a credential. */
  private static void logRefusal(ProxyExchange exchange, Refuse refuse, Request clientRequest) {
    if (refuse.kind() == Refusal.FORBIDDEN && LOG.isInfoEnabled()) {
      LOG.info("{} route {} refused 403 for client {}: {}", exchange.requestId(), exchange.routeName(),
          Request.getRemoteAddr(clientRequest), refuse.reason());
    } else if (refuse.kind() == Refusal.RATE_LIMITED && LOG.isDebugEnabled()) {
      LOG.debug("{} route {} refused 429: {}", exchange.requestId(), exchange.routeName(), refuse.reason());
    }
  }

  /**
   * The answer to a request Jetty refused before routing (a malformed request, a URI or header
   * over the limits), recorded like gantry's own refusals: an exchange for the access log, {@code
   * onRefused} and {@code onCompleted}.
   */
  ErrorResponse refusedBeforeRouting(Request clientRequest, int status, String reason) {
    ProxyExchange exchange = ProxyExchange.of(clientRequest);
    if (exchange == null) {
      exchange = new ProxyExchange(ProxyExchange.requestId(clientRequest.getHeaders().get(ProxiedHeaders.REQUEST_ID)),
          clientRequest.getMethod(), Arrival.of(clientRequest), System.nanoTime(), "");
      clientRequest.setAttribute(ProxyExchange.ATTRIBUTE, exchange);
    }
    exchange.refusedBeforeRouting(new Refuse(status, Refusal.beforeRouting(status), reason, null, null));
    settings.observer().onRefused(exchange, status, reason);
    return ErrorResponse.of(status, clientRequest.getHttpURI().getPath(), reason);
  }

  /** The answer to a request gantry refused; {@code rawPath} picks the body format when the path was unsafe. */
  static ErrorResponse refusal(ProxyExchange exchange, String rawPath) {
    Refuse refuse = exchange.refuse();
    ErrorResponse error = ErrorResponse.of(refuse.status(), refuse.path() != null ? refuse.path() : rawPath, refuse.reason());
    return exchange.retryAfterSeconds() >= 0 ? error.retryingAfter(exchange.retryAfterSeconds()) : error;
  }

  // ---- client request -> upstream request ------------------------------------------------------

  /**
   * The upstream request's headers: the client's end-to-end headers, the request id, {@code Via},
   * and forwarding headers worked out from the real connection (inbound ones only from trusted
   * proxies).
   */
  void upstreamRequestHeaders(ProxyExchange exchange, Request clientRequest, HttpFields.Mutable upstream) {
    HttpFields client = clientRequest.getHeaders();
    ProxiedHeaders.copyRequestHeaders(client, exchange, upstream);
    String via = via(clientRequest.getConnectionMetaData().getProtocol());
    String priorVia = ProxiedHeaders.joined(client, "Via");
    upstream.put(HttpHeader.VIA, priorVia == null ? via : priorVia + ", " + via);
    Arrival arrival = exchange.arrival();
    ForwardedHeaders.ClientConnection connection = new ForwardedHeaders.ClientConnection(
        Request.getRemoteAddr(clientRequest), arrival.secure(), arrival.authority(),
        HostNames.authority(Request.getLocalAddr(clientRequest), arrival.localPort(), arrival.secure()));
    settings.forwardedHeaders().apply(connection, name -> ProxiedHeaders.joined(client, name), upstream);
    exchange.route().requestHeaders().applyTo(upstream); // cannot name the headers above: refused at build time
  }

  /** {@code 1.1 gantry}: RFC 9110 7.6.3, the protocol version without the name when it is HTTP. */
  private static String via(String protocol) {
    return (protocol.startsWith("HTTP/") ? protocol.substring(5) : protocol) + " " + VIA;
  }

  // ---- upstream response -> client response ----------------------------------------------------

  /**
   * The upstream answered {@code status}: the instance is healthy, unless the status is one of its
   * upstream's failure statuses for an idempotent request.
   */
  void responded(ProxyExchange exchange, int status) {
    Upstream upstream = exchange.route().upstream();
    if (status >= 500 && upstream.failureStatuses().contains(status) && IDEMPOTENT.contains(exchange.method())) {
      pools.failed(upstream, exchange.instance(), "answered " + status);
    } else {
      pools.succeeded(upstream, exchange.instance());
    }
  }

  /** Hands the upstream response's headers that reach the client to {@code sink}, rewritten to the public URL. */
  void clientResponseHeaders(ProxyExchange exchange, HttpFields upstream, ProxiedHeaders.Sink sink) {
    Upstream target = exchange.route().upstream();
    String mount = exchange.mountPath();
    Map<Upstream, ResponseHeaderRewriter> byUpstream = rewriters.get(mount);
    if (byUpstream == null) {
      byUpstream = rewriters.computeIfAbsent(mount, m -> new ConcurrentHashMap<>());
    }
    ResponseHeaderRewriter rewriter = byUpstream.get(target);
    if (rewriter == null) {
      rewriter = byUpstream.computeIfAbsent(target, u -> new ResponseHeaderRewriter(u, mount));
    }
    HeaderRules rules = exchange.route().responseHeaders();
    ProxiedHeaders.Sink client = rules.isEmpty() ? sink : (field, value) -> {
      if (!rules.drops(field.getLowerCaseName())) {
        sink.add(field, value);
      }
    };
    ProxiedHeaders.copyResponseHeaders(upstream, rewriter, exchange.arrival().secure() ? "https" : "http",
        exchange.authority(), client);
    for (HttpField field : rules.additions()) {
      sink.add(field, field.getValue());
    }
  }

  // ---- failures --------------------------------------------------------------------------------

  /**
   * The answer when the exchange failed, told to observers; {@code null} when the request is to
   * be sent again, to the instance now on the exchange. A request body the client broke, cut short
   * or stopped sending is the client's failure (400/408, never counted against the upstream);
   * anything else is the instance's. A request without a body that got no response is sent to
   * another instance that is up, at most {@link Upstream#retries()} times, if it is idempotent or
   * never left gantry (the connection could not be opened).
   *
   * @param upstreamStatus the status the upstream answered before failing, or 0
   * @param expectsContinue whether the client sent {@code Expect: 100-continue}: an upstream that
   *     answers a final status instead refused the body, and the client gets that status
   * @param committed whether the client already has the response's head
   */
  ErrorResponse failure(ProxyExchange exchange, Throwable failure, int upstreamStatus, boolean expectsContinue,
      boolean committed) {
    Throwable clientFailure = exchange.clientFailure();
    if (clientFailure == null && exchange.instance() != null) {
      Upstream upstream = exchange.route().upstream();
      Upstream.Instance failed = exchange.instance();
      pools.failed(upstream, failed, UpstreamFailures.describe(failure));
      if (!committed && upstreamStatus == 0 && mayRetry(exchange, upstream, failure)) {
        Upstream.Instance next = pools.pick(upstream, null, withOrigin(exchange.tried(), failed.origin()));
        if (next != null) {
          pools.finished(failed);
          exchange.sendTo(next, next.target(exchange.path(), queryOf(exchange.target())));
          pools.started(next);
          LOG.debug("{} route {} retried on another instance after: {}", exchange.requestId(), exchange.routeName(), failure);
          settings.observer().onRetried(exchange, failure);
          return null;
        }
      }
    }
    int status;
    if (clientFailure != null) {
      status = UpstreamFailures.clientStatus(clientFailure);
      settings.observer().onClientFailure(exchange, status, clientFailure);
    } else {
      status = expectsContinue && upstreamStatus >= 200 ? upstreamStatus : UpstreamFailures.status(failure);
      settings.observer().onUpstreamFailure(exchange, status, failure);
    }
    if (LOG.isDebugEnabled()) {
      LOG.debug("{} route {} failed ({}): {}", exchange.requestId(), exchange.routeName(),
          clientFailure != null ? "client" : "upstream", failure.toString());
    }
    return ErrorResponse.of(status, exchange.path(), UpstreamFailures.message(status, exchange)).closingConnection();
  }

  private static boolean mayRetry(ProxyExchange exchange, Upstream upstream, Throwable failure) {
    return exchange.attempts() <= upstream.retries() && exchange.bodyless() && exchange.bytesIn() == 0
        && (IDEMPOTENT.contains(exchange.method()) || UpstreamFailures.neverSent(failure));
  }

  private static Set<String> withOrigin(Set<String> tried, String origin) {
    Set<String> all = new HashSet<>(tried);
    all.add(origin);
    return all;
  }

  /** The raw query of a target URL, or null: upstream URLs have none of their own. */
  private static String queryOf(String target) {
    int q = target.indexOf('?');
    return q < 0 ? null : target.substring(q + 1);
  }

  // ---- end -------------------------------------------------------------------------------------

  /** Ends the exchange for observers, once, however it ended; {@code status} is what the client got. */
  void complete(ProxyExchange exchange, int status) {
    if (exchange.complete()) {
      exchange.releaseLimits();
      Upstream.Instance instance = exchange.instance();
      if (instance != null) {
        pools.finished(instance);
      }
      settings.observer().onCompleted(exchange, status);
    }
  }
}
