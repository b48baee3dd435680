package io.gantry.proxy;

import io.gantry.proxy.limit.ClientLimits;

import io.gantry.proxy.route.Route;
import io.gantry.proxy.upstream.Upstream;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.server.Request;

/**
 * One request passing through the proxy, as {@link ProxyObserver}s, access logs and metrics see
 * it, whichever engine served it. Byte counters grow while the bodies stream; everything else is
 * fixed once the request is routed.
 *
 * <pre>{@code
 * ProxyExchange exchange = ProxyExchange.of(request); // in a RequestLog, after the proxy ran
 * String line = exchange == null ? "-" : exchange.requestId() + " " + exchange.routeName();
 * }</pre>
 */
public final class ProxyExchange {
  /** The request attribute the exchange is kept under. */
  static final String ATTRIBUTE = ProxyExchange.class.getName();

  private final String requestId;
  private final String method;
  private final Arrival arrival;
  private final long startNanos;
  private final String mountPath;
  private final AtomicBoolean completed = new AtomicBoolean();
  private volatile Route route;
  private volatile String path;
  private volatile long bytesIn;
  private volatile long bytesOut;
  private volatile Router.Forward forward;
  private volatile Router.Refuse refusal;
  private volatile Throwable clientFailure;
  /** The limits that admitted this request and the address they counted, to release at the end. */
  private volatile ClientLimits admittedBy;
  private volatile String admittedAddress;
  private volatile long retryAfterSeconds = -1;
  private volatile Upstream.Instance instance;
  private volatile String target;
  /** Origins this request failed on, when it was retried; otherwise empty. */
  private volatile Set<String> tried = Set.of();
  private boolean bodyless;

  ProxyExchange(String requestId, String method, Arrival arrival, long startNanos, String mountPath) {
    this.requestId = requestId;
    this.method = method;
    this.arrival = arrival;
    this.startNanos = startNanos;
    this.mountPath = mountPath;
  }

  /**
   * The exchange of a request gantry's proxy handled (either engine; for the servlet, pass the core
   * request under the servlet one), or {@code null} when the proxy never saw it.
   */
  public static ProxyExchange of(Request request) {
    return request.getAttribute(ATTRIBUTE) instanceof ProxyExchange exchange ? exchange : null;
  }

  /** The {@code X-Request-Id} sent upstream: the client's, or one gantry generated. */
  public String requestId() {
    return requestId;
  }

  public String method() {
    return method;
  }

  /** The public host the request was routed on: the SNI name on TLS, otherwise the {@code Host}'s. */
  public String host() {
    return arrival.routingHost();
  }

  /** {@code host[:port]} as the client addressed gantry ({@code Host} or HTTP/2 {@code :authority}), or null. */
  public String authority() {
    return arrival.authority();
  }

  /** How the request reached gantry: listener, TLS, SNI name and authority. */
  public Arrival arrival() {
    return arrival;
  }

  /**
   * Where the proxy is mounted ({@code /registry} for a servlet at {@code /registry/*}), which the
   * routed {@link #path()} is relative to; empty at the root.
   */
  public String mountPath() {
    return mountPath;
  }

  /** The normalised path routed on (within the mount), or {@code null} when the raw path was refused. */
  public String path() {
    return path;
  }

  /** The chosen route, or {@code null} when none matched. */
  public Route route() {
    return route;
  }

  /** The route's name, or {@code "-"} when none matched. */
  public String routeName() {
    Route r = route;
    return r == null ? "-" : r.name();
  }

  /** Request body bytes read from the client so far. */
  public long bytesIn() {
    return bytesIn;
  }

  /** Response body bytes written to the client so far. */
  public long bytesOut() {
    return bytesOut;
  }

  /** {@link System#nanoTime()} when gantry received the request. */
  public long startNanos() {
    return startNanos;
  }

  /** Nanoseconds since the request was received. */
  public long elapsedNanos() {
    return System.nanoTime() - startNanos;
  }

  void forwarded(Router.Forward forward) {
    routed(forward.route(), forward.path());
    this.forward = forward;
  }

  /** Where the request goes, or null when gantry refused it. */
  Router.Forward forward() {
    return forward;
  }

  /** Sends the request to {@code instance} at {@code target}: the first time, or again after a failure. */
  void sendTo(Upstream.Instance instance, String target) {
    Upstream.Instance previous = this.instance;
    if (previous != null) {
      Set<String> more = new HashSet<>(tried);
      more.add(previous.origin());
      tried = more;
    }
    this.instance = instance;
    this.target = target;
  }

  /** The instance the request is (last) sent to, or {@code null} when it was not forwarded. */
  public Upstream.Instance instance() {
    return instance;
  }

  /** The upstream URL the request is (last) sent to. */
  String target() {
    return target;
  }

  /** Origins the request already failed on. */
  Set<String> tried() {
    return tried;
  }

  /** How many instances the request was sent to. */
  public int attempts() {
    return instance == null ? 0 : tried.size() + 1;
  }

  void bodyless(boolean bodyless) {
    this.bodyless = bodyless;
  }

  /** Whether the client request carries no body, so that it can be sent again. */
  boolean bodyless() {
    return bodyless;
  }

  void refused(Router.Refuse refuse) {
    routed(refuse.route(), refuse.path());
    this.refusal = refuse;
  }

  /** Records what Jetty refused before routing, unless the exchange was already decided. */
  void refusedBeforeRouting(Router.Refuse refuse) {
    if (refusal == null && forward == null) {
      this.refusal = refuse;
    }
  }

  /** gantry's own answer (status, kind, reason), or null when the request was forwarded. */
  Router.Refuse refuse() {
    return refusal;
  }

  /**
   * Why gantry (or Jetty, before routing) answered the request itself, or {@code null} when it was
   * forwarded to an upstream. Set before {@link ProxyObserver#onRefused} is called.
   */
  public Refusal refusal() {
    Router.Refuse r = refusal;
    return r == null ? null : r.kind();
  }

  /** Records that reading the client's request body failed: the client's fault, not the upstream's. */
  void clientFailed(Throwable failure) {
    if (clientFailure == null) {
      clientFailure = failure;
    }
  }

  /** Why reading the client's body failed, or {@code null}. */
  Throwable clientFailure() {
    return clientFailure;
  }

  void routed(Route route, String path) {
    this.route = route;
    this.path = path;
  }

  // Only one thread reads (or writes) a body at a time, so plain increments are safe.
  void addBytesIn(long n) {
    bytesIn += n;
  }

  void addBytesOut(long n) {
    bytesOut += n;
  }

  boolean complete() {
    return completed.compareAndSet(false, true);
  }

  void admitted(ClientLimits limits, String address) {
    this.admittedBy = limits;
    this.admittedAddress = address;
  }

  /** Releases what {@link ClientLimits} counted for this request; once. */
  void releaseLimits() {
    ClientLimits limits = admittedBy;
    if (limits != null) {
      admittedBy = null;
      limits.release(admittedAddress);
    }
  }

  void retryAfter(long seconds) {
    this.retryAfterSeconds = seconds;
  }

  /** The {@code Retry-After} seconds of a 429, or -1. */
  long retryAfterSeconds() {
    return retryAfterSeconds;
  }

  /** The client's {@code X-Request-Id} when it is a sane token, otherwise a new random one. */
  static String requestId(String sent) {
    if (sent != null && isSaneId(sent)) {
      return sent;
    }
    ThreadLocalRandom random = ThreadLocalRandom.current();
    String hi = Long.toHexString(random.nextLong());
    String lo = Long.toHexString(random.nextLong());
    return "0".repeat(16 - hi.length()) + hi + "0".repeat(16 - lo.length()) + lo;
  }

  private static boolean isSaneId(String id) {
    if (id.isEmpty() || id.length() > 128) {
      return false;
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '-' || c == '_' || c == '.' || c == ':')) {
        return false;
      }
    }
    return true;
  }
}
