package io.gantry.proxy;

import io.gantry.proxy.limit.ClientLimits;

import io.gantry.proxy.header.ForwardedHeaders;
import io.gantry.proxy.route.RouteTable;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The settings {@link RoutingProxyHandler} and {@link RoutingProxyServlet} share; each has a
 * builder of this shape, so the same configuration code serves both.
 *
 * @param <B> the concrete builder
 * @param <P> what it builds
 */
public abstract class ProxyBuilder<B extends ProxyBuilder<B, P>, P> {
  private RouteTable routes;
  private final List<ProxyObserver> observers = new ArrayList<>();
  private ForwardedHeaders forwardedHeaders = ForwardedHeaders.NONE_TRUSTED;
  private int maxQueuedPerUpstream = 1024;
  private int maxConnectionsPerUpstream = 512;
  private boolean configureServer = true;
  private ClientLimits clientLimits = ClientLimits.NONE;

  ProxyBuilder() {}

  /** The route table (required). */
  public B routes(RouteTable routes) {
    this.routes = Objects.requireNonNull(routes, "routes");
    return self();
  }

  /**
   * Adds an observer of routing, failure and completion events; each added observer is called, in
   * the order added (metrics, then an audit log, ...). None by default.
   */
  public B observer(ProxyObserver observer) {
    observers.add(Objects.requireNonNull(observer, "observer"));
    return self();
  }

  /** Which inbound forwarding headers to trust; none by default. */
  public B forwardedHeaders(ForwardedHeaders forwardedHeaders) {
    this.forwardedHeaders = Objects.requireNonNull(forwardedHeaders, "forwardedHeaders");
    return self();
  }

  /**
   * Requests that may wait for a connection to one upstream once all its connections are busy;
   * beyond that gantry answers 503 at once. Default 1024.
   */
  public B maxQueuedPerUpstream(int max) {
    this.maxQueuedPerUpstream = atLeastOne("maxQueuedPerUpstream", max);
    return self();
  }

  /**
   * Connections gantry opens to one upstream at most; every blob transfer in flight holds one.
   * Default 512.
   */
  public B maxConnectionsPerUpstream(int max) {
    this.maxConnectionsPerUpstream = atLeastOne("maxConnectionsPerUpstream", max);
    return self();
  }

  /**
   * Whether the proxy adapts the server it starts in (default on): URI compliance {@code UNSAFE}
   * on every connector, so that gantry's path normaliser, not Jetty's default compliance, judges
   * every path (a clear 400 for anything ambiguous, encoded slashes forwarded where a route allows
   * them); and, unless the application set its own, an error handler that answers Jetty's own
   * refusals (malformed requests, URIs and headers over the limits) with gantry's short bodies and
   * reports them to the observers. Off, the proxy leaves the server alone and refuses to start when
   * a route needs what a connector refuses.
   */
  public B configureServer(boolean configure) {
    this.configureServer = configure;
    return self();
  }

  /**
   * Per-client concurrency and rate limits over every route ({@link ClientLimits}); none by
   * default. Requests over them are answered 429 with {@code Retry-After}.
   */
  public B clientLimits(ClientLimits limits) {
    this.clientLimits = Objects.requireNonNull(limits, "clientLimits");
    return self();
  }

  /** Builds the proxy; fails when no routes were given. */
  public abstract P build();

  @SuppressWarnings("unchecked")
  private B self() {
    return (B) this;
  }

  private static int atLeastOne(String name, int value) {
    if (value < 1) {
      throw new IllegalArgumentException(name + ": " + value + " (expected: >= 1)");
    }
    return value;
  }

  /** The settings as an immutable value. */
  ProxySettings settings() {
    if (routes == null) {
      throw new IllegalStateException("routes (expected: a RouteTable)");
    }
    return new ProxySettings(routes, ProxyObserver.all(observers), forwardedHeaders, maxQueuedPerUpstream,
        maxConnectionsPerUpstream, configureServer, clientLimits);
  }
}
