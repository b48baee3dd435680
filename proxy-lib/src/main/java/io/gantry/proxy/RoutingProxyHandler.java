package io.gantry.proxy;

import io.gantry.proxy.Router.Forward;
import io.gantry.proxy.route.RouteTable;
import io.gantry.proxy.upstream.Upstream;
import io.gantry.proxy.upstream.InstanceStatus;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.component.LifeCycle;

/**
 * The routing proxy as a core Jetty {@link Handler}: the same steps ({@link ProxyFlow}) as {@link
 * RoutingProxyServlet}, without the servlet layer. Body chunks pass between client and upstream
 * as Jetty hands them over, never copied or aggregated, in both directions and of any size.
 *
 * <p>Use it where no servlet container is needed; it is what the gantry server runs:
 *
 * <pre>{@code
 * RoutingProxyHandler proxy = RoutingProxyHandler.builder().routes(routes).build();
 * server.setHandler(proxy);
 * }</pre>
 *
 * <p>Each distinct upstream connect timeout and trust store gets its own HTTP client, sharing the
 * server's thread pool. No total timeout (only each upstream's idle timeout), the client's {@code
 * Host} preserved, forwarding headers replaced, 503 when an upstream's queue is full.
 */
public class RoutingProxyHandler extends Handler.Abstract implements RoutingProxy {
  private final ProxyFlow flow;
  private final Map<UpstreamClients.Key, UpstreamForwarder> forwarders = new ConcurrentHashMap<>();
  /** Each upstream's forwarder, found when the routes are set, not per request. */
  private final Map<Upstream, UpstreamForwarder> forwarderByUpstream = new ConcurrentHashMap<>();
  private final ClientRetirement retirement;

  private final boolean passUnmatched;

  RoutingProxyHandler(ProxySettings settings, boolean passUnmatched) {
    this.flow = new ProxyFlow(settings);
    this.passUnmatched = passUnmatched;
    this.retirement = new ClientRetirement(this::runningClients,
        () -> ClientRetirement.keysOf(flow.routes(), flow.settings()), this::retire);
  }

  @Override
  public RouteTable routes() {
    return flow.routes();
  }

  @Override
  public void setRoutes(RouteTable routes) {
    if (isStarted()) {
      startClients(routes);
    }
    flow.setRoutes(routes);
    // A request the old table routed finds its forwarder again by key (forwarderFor).
    forwarderByUpstream.keySet().retainAll(upstreamsOf(routes));
    if (isStarted()) {
      retirement.check(getServer().getScheduler());
    }
  }

  /** How many upstream HTTP clients run: one per distinct connect timeout, trust store and connection limit. */
  @Override
  public int upstreamClients() {
    return forwarders.size();
  }

  private Map<UpstreamClients.Key, HttpClient> runningClients() {
    Map<UpstreamClients.Key, HttpClient> running = new HashMap<>();
    forwarders.forEach((key, forwarder) -> running.put(key, forwarder.getHttpClient()));
    return running;
  }

  private static Set<Upstream> upstreamsOf(RouteTable routes) {
    Set<Upstream> upstreams = new HashSet<>();
    routes.routes().forEach(route -> upstreams.add(route.upstream()));
    return upstreams;
  }

  /** Takes a client no route needs out of use and stops it. */
  private synchronized void retire(UpstreamClients.Key key) {
    UpstreamForwarder forwarder = forwarders.remove(key);
    forwarderByUpstream.values().removeIf(f -> f == forwarder);
    if (forwarder != null) {
      removeBean(forwarder);
      LifeCycle.stop(forwarder);
    }
  }

  @Override
  protected void doStart() throws Exception {
    ServerSetup.prepare(getServer(), flow.routes(), flow, flow.settings().configureServer());
    super.doStart();
    startClients(flow.routes());
    flow.start(upstream -> forwarderFor(upstream).getHttpClient());
  }

  /** Starts the upstream clients up front, so the first request does not pay for it. */
  private void startClients(RouteTable table) {
    table.routes().forEach(route -> forwarderFor(route.upstream()));
  }

  @Override
  protected void doStop() throws Exception {
    flow.stop();
    for (UpstreamForwarder forwarder : forwarders.values()) {
      removeBean(forwarder);
      LifeCycle.stop(forwarder);
    }
    forwarders.clear();
    forwarderByUpstream.clear();
    super.doStop();
  }

  private UpstreamForwarder forwarderFor(Upstream upstream) {
    UpstreamForwarder forwarder = forwarderByUpstream.get(upstream);
    return forwarder != null ? forwarder : newForwarderFor(upstream);
  }

  private synchronized UpstreamForwarder newForwarderFor(Upstream upstream) {
    return forwarderByUpstream.computeIfAbsent(upstream, u -> {
      UpstreamClients.Key key = UpstreamClients.Key.of(u, flow.settings());
      UpstreamForwarder forwarder = forwarders.get(key);
      if (forwarder == null) {
        forwarder = new UpstreamForwarder(key, flow);
        forwarder.setServer(getServer());
        try {
          forwarder.start();
        } catch (Exception e) {
          throw new IllegalStateException("cannot start the HTTP client for " + key + ": " + e.getMessage(), e);
        }
        addBean(forwarder, false); // shows in dumps; stopped by doStop, not twice by the container
        forwarders.put(key, forwarder);
      }
      return forwarder;
    });
  }

  @Override
  public List<InstanceStatus> instances(Upstream upstream) {
    return flow.instances(upstream);
  }

  @Override
  public boolean handle(Request clientRequest, Response clientResponse, Callback callback) {
    ProxyExchange exchange = flow.begin(clientRequest, clientRequest.getHttpURI().getPath(), "", passUnmatched);
    if (exchange == null) {
      return false; // no route, and the next handler may have one
    }
    Callback completion = new Completion(exchange, clientResponse, callback);
    Forward forward = exchange.forward();
    if (forward == null) {
      ProxyFlow.refusal(exchange, clientRequest.getHttpURI().getPath()).writeTo(clientResponse, completion);
      return true;
    }
    return forwarderFor(forward.route().upstream())
        .handle(UpstreamForwarder.routed(clientRequest, exchange), clientResponse, completion);
  }

  /** Ends the exchange once Jetty is done with the client response, either way. */
  private final class Completion implements Callback {
    private final ProxyExchange exchange;
    private final Response clientResponse;
    private final Callback callback;

    Completion(ProxyExchange exchange, Response clientResponse, Callback callback) {
      this.exchange = exchange;
      this.clientResponse = clientResponse;
      this.callback = callback;
    }

    @Override
    public void succeeded() {
      flow.complete(exchange, clientResponse.getStatus());
      callback.succeeded();
    }

    @Override
    public void failed(Throwable failure) {
      flow.complete(exchange, clientResponse.getStatus());
      callback.failed(failure);
    }

    @Override
    public InvocationType getInvocationType() {
      return callback.getInvocationType();
    }
  }

  /** Starts a builder; {@link Builder#routes} is the one required setting. */
  public static Builder builder() {
    return new Builder();
  }

  /** Configures a {@link RoutingProxyHandler}; see {@link ProxyBuilder} for the settings. */
  public static final class Builder extends ProxyBuilder<Builder, RoutingProxyHandler> {
    private boolean passUnmatched;

    private Builder() {}

    /**
     * Whether a request no route matches is left to the handlers after this one (default off:
     * answered 404, or 421 on TLS). On, the proxy can sit in front of an application's own
     * handlers in a {@code Handler.Sequence}; refusals for safety (an SNI/Host mismatch, an unsafe
     * path, TRACE) are still answered by the proxy.
     *
     * <pre>{@code
     * server.setHandler(new Handler.Sequence(
     *     RoutingProxyHandler.builder().routes(routes).passUnmatched(true).build(),
     *     applicationHandler));
     * }</pre>
     */
    public Builder passUnmatched(boolean pass) {
      this.passUnmatched = pass;
      return this;
    }

    @Override
    public RoutingProxyHandler build() {
      return new RoutingProxyHandler(settings(), passUnmatched);
    }
  }
}
