package io.gantry.proxy;

import io.gantry.proxy.Router.Forward;
import io.gantry.proxy.route.RouteTable;
import io.gantry.proxy.upstream.Upstream;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.proxy.ProxyHandler;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
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
public class RoutingProxyHandler extends Handler.Abstract {
  private final ProxyFlow flow;
  private final Map<UpstreamClients.Key, Forwarder> forwarders = new ConcurrentHashMap<>();
  /** Each upstream's forwarder, found when the routes are set, not per request. */
  private final Map<Upstream, Forwarder> forwarderByUpstream = new ConcurrentHashMap<>();

  RoutingProxyHandler(ProxySettings settings) {
    this.flow = new ProxyFlow(settings);
  }

  /** Starts a builder; {@link Builder#routes} is the one required setting. */
  public static Builder builder() {
    return new Builder();
  }

  /** The routes in use. */
  public RouteTable routes() {
    return flow.routes();
  }

  /**
   * Replaces the route table; requests already routed finish on the old one. This is how routes
   * are reloaded without a restart.
   */
  public void setRoutes(RouteTable routes) {
    if (isStarted()) {
      startClients(routes);
    }
    flow.setRoutes(routes);
  }

  @Override
  protected void doStart() throws Exception {
    super.doStart();
    startClients(flow.routes());
  }

  /** Starts the upstream clients up front, so the first request does not pay for it. */
  private void startClients(RouteTable table) {
    table.routes().forEach(route -> forwarderFor(route.upstream()));
  }

  @Override
  protected void doStop() throws Exception {
    for (Forwarder forwarder : forwarders.values()) {
      removeBean(forwarder);
      LifeCycle.stop(forwarder);
    }
    forwarders.clear();
    forwarderByUpstream.clear();
    super.doStop();
  }

  private Forwarder forwarderFor(Upstream upstream) {
    Forwarder forwarder = forwarderByUpstream.get(upstream);
    return forwarder != null ? forwarder : newForwarderFor(upstream);
  }

  private synchronized Forwarder newForwarderFor(Upstream upstream) {
    return forwarderByUpstream.computeIfAbsent(upstream, u -> {
      UpstreamClients.Key key = UpstreamClients.Key.of(u);
      Forwarder forwarder = forwarders.get(key);
      if (forwarder == null) {
        forwarder = new Forwarder(key);
        forwarder.setServer(getServer());
        try {
          forwarder.start();
        } catch (Exception e) {
          throw new IllegalStateException("cannot start the HTTP client for " + key, e);
        }
        addBean(forwarder, false); // shows in dumps; stopped by doStop, not twice by the container
        forwarders.put(key, forwarder);
      }
      return forwarder;
    });
  }

  @Override
  public boolean handle(Request clientRequest, Response clientResponse, Callback callback) {
    ProxyExchange exchange = flow.begin(clientRequest);
    Callback completion = new Completion(exchange, clientResponse, callback);
    Forward forward = exchange.forward();
    if (forward == null) {
      ProxyFlow.refusal(exchange, clientRequest.getHttpURI().getPath()).writeTo(clientResponse, completion);
      return true;
    }
    return forwarderFor(forward.route().upstream())
        .handle(new RoutedRequest(clientRequest, exchange), clientResponse, completion);
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

  /** The client request with its exchange attached, for the forwarder's hooks. */
  private static final class RoutedRequest extends Request.Wrapper {
    final ProxyExchange exchange;

    RoutedRequest(Request request, ProxyExchange exchange) {
      super(request);
      this.exchange = exchange;
    }
  }

  private static ProxyExchange exchange(Request clientRequest) {
    return ((RoutedRequest) clientRequest).exchange;
  }

  /**
   * Jetty's {@link ProxyHandler} for the upstreams that share one HTTP client: it streams the
   * bodies and handles interim responses; every decision is the flow's.
   */
  private final class Forwarder extends ProxyHandler {
    private final UpstreamClients.Key key;

    Forwarder(UpstreamClients.Key key) {
      this.key = key;
      setViaHost("gantry"); // unused (the flow writes Via), but unset Jetty looks up the local host name
    }

    @Override
    protected HttpClient newHttpClient() {
      Server server = getServer();
      return new HttpClient(new HttpClientTransportOverHTTP(
          UpstreamClients.connector(key, server == null ? null : server.getThreadPool())));
    }

    @Override
    protected void configureHttpClient(HttpClient httpClient) {
      super.configureHttpClient(httpClient);
      UpstreamClients.configure(httpClient, key, flow.settings());
    }

    @Override
    protected HttpURI rewriteHttpURI(Request clientRequest) {
      return HttpURI.from(exchange(clientRequest).forward().target());
    }

    @Override
    protected org.eclipse.jetty.client.Request newProxyToServerRequest(Request clientRequest, HttpURI target) {
      Router.Forward forward = exchange(clientRequest).forward();
      // From the target string: HttpURI.toURI() would re-encode every component first.
      return getHttpClient().newRequest(forward.target())
          .method(clientRequest.getMethod())
          .idleTimeout(forward.route().upstream().idleTimeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    // ---- client request -> upstream request --------------------------------------------------

    @Override
    protected void copyRequestHeaders(Request clientRequest, org.eclipse.jetty.client.Request upstreamRequest) {
      upstreamRequest.headers(upstream -> flow.upstreamRequestHeaders(exchange(clientRequest), clientRequest, upstream));
    }

    @Override
    protected void addProxyHeaders(Request clientRequest, org.eclipse.jetty.client.Request upstreamRequest) {
      // Via and forwarding headers are part of upstreamRequestHeaders.
    }

    @Override
    protected org.eclipse.jetty.client.Request.Content newProxyToServerRequestContent(Request clientRequest,
        Response clientResponse, org.eclipse.jetty.client.Request upstreamRequest) {
      ProxyExchange exchange = exchange(clientRequest);
      return new ProxyRequestContent(clientRequest) {
        @Override
        public Content.Chunk read() {
          Content.Chunk chunk = super.read();
          if (chunk != null) {
            if (Content.Chunk.isFailure(chunk)) {
              exchange.clientFailed(chunk.getFailure()); // the client's body broke, not the upstream
            } else {
              exchange.addBytesIn(chunk.remaining());
            }
          }
          return chunk;
        }
      };
    }

    @Override
    protected org.eclipse.jetty.client.Response.CompleteListener newServerToProxyResponseListener(
        Request clientRequest, org.eclipse.jetty.client.Request upstreamRequest, Response clientResponse,
        Callback callback) {
      return new ResponseForwarder(clientRequest, upstreamRequest, clientResponse, callback);
    }

    // ---- upstream response -> client response ------------------------------------------------

    private final class ResponseForwarder extends ProxyResponseListener {
      private final ProxyExchange exchange;
      private final Response clientResponse;

      ResponseForwarder(Request clientRequest, org.eclipse.jetty.client.Request upstreamRequest,
          Response clientResponse, Callback callback) {
        super(clientRequest, upstreamRequest, clientResponse, callback);
        this.exchange = exchange(clientRequest);
        this.clientResponse = clientResponse;
      }

      @Override
      public void onHeaders(org.eclipse.jetty.client.Response upstreamResponse) {
        HttpFields.Mutable client = clientResponse.getHeaders();
        flow.clientResponseHeaders(exchange, upstreamResponse.getHeaders(), (field, value) ->
            client.add(value.equals(field.getValue()) ? field : new HttpField(field.getHeader(), field.getName(), value)));
      }

      @Override
      public void onContent(org.eclipse.jetty.client.Response upstreamResponse, Content.Chunk chunk, Runnable demander) {
        exchange.addBytesOut(chunk.remaining());
        super.onContent(upstreamResponse, chunk, demander);
      }
    }

    // ---- failures ----------------------------------------------------------------------------

    @Override
    protected void onServerToProxyResponseFailure(Request clientRequest, org.eclipse.jetty.client.Request upstreamRequest,
        org.eclipse.jetty.client.Response upstreamResponse, Response clientResponse, Callback callback, Throwable failure) {
      ErrorResponse error = flow.failure(exchange(clientRequest), failure,
          upstreamResponse == null ? 0 : upstreamResponse.getStatus(),
          HttpHeaderValue.CONTINUE.is(clientRequest.getHeaders().get(HttpHeader.EXPECT)));
      if (clientResponse.isCommitted()) {
        // Mid-body: the only honest signal left is to abort the client connection.
        callback.failed(failure);
        return;
      }
      clientResponse.reset();
      error.writeTo(clientResponse, callback);
    }
  }

  /** Configures a {@link RoutingProxyHandler}; see {@link ProxyBuilder} for the settings. */
  public static final class Builder extends ProxyBuilder<Builder, RoutingProxyHandler> {
    private Builder() {}

    @Override
    public RoutingProxyHandler build() {
      return new RoutingProxyHandler(settings());
    }
  }
}
