package io.gantry.proxy;

import io.gantry.proxy.header.ForwardedHeaders;
import io.gantry.proxy.header.ResponseHeaderRewriter;
import io.gantry.proxy.route.RouteTable;
import io.gantry.proxy.Router;
import io.gantry.proxy.Router.Decision;
import io.gantry.proxy.Router.Forward;
import io.gantry.proxy.Router.Refuse;
import io.gantry.proxy.upstream.Upstream;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.proxy.ProxyHandler;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.component.LifeCycle;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The routing proxy as a core Jetty {@link Handler}: the same route table, path safety, header
 * rewriting, listener events and error answers as {@link RoutingProxyServlet}, without the
 * servlet layer. Body chunks pass between client and upstream as Jetty hands them over, never
 * copied or aggregated, in both directions and of any size.
 *
 * <p>Use it where no servlet container is needed; it is what the gantry server runs:
 *
 * <pre>{@code
 * RoutingProxyHandler proxy = RoutingProxyHandler.builder().routes(routes).build();
 * server.setHandler(proxy);
 * }</pre>
 *
 * <p>Each distinct upstream connect timeout and trust store gets its own HTTP client, sharing the
 * server's thread pool; everything else matches the servlet's defaults (no total timeout, the
 * client's {@code Host} preserved, forwarding headers replaced, 503 when an upstream's queue is
 * full).
 */
public class RoutingProxyHandler extends Handler.Abstract {
  private static final Logger LOG = LoggerFactory.getLogger(RoutingProxyHandler.class);
  private static final String VIA_HOST = "gantry";

  private final ProxySettings settings;
  private volatile Router targets;
  private final Map<UpstreamClient, Forwarder> forwarders = new ConcurrentHashMap<>();
  /** Everything a request needs about its upstream, made when the routes are set, not per request. */
  private final Map<Upstream, UpstreamPath> paths = new ConcurrentHashMap<>();

  private record UpstreamPath(Forwarder forwarder, ResponseHeaderRewriter rewriter) {}

  RoutingProxyHandler(ProxySettings settings) {
    this.settings = settings;
    this.targets = new Router(settings.routes());
  }

  /** Starts a builder; {@link Builder#routes} is the one required setting. */
  public static Builder builder() {
    return new Builder();
  }

  /** The routes in use. */
  public RouteTable routes() {
    return targets.table();
  }

  /**
   * Replaces the route table; requests already routed finish on the old one. This is how routes
   * are reloaded without a restart.
   */
  public void setRoutes(RouteTable routes) {
    Router next = new Router(Objects.requireNonNull(routes, "routes"));
    if (isStarted()) {
      startClients(routes);
    }
    this.targets = next;
  }

  @Override
  protected void doStart() throws Exception {
    super.doStart();
    startClients(targets.table());
  }

  /** Starts the upstream clients up front, so the first request does not pay for it. */
  private void startClients(RouteTable table) {
    table.routes().forEach(route -> pathTo(route.upstream()));
  }

  @Override
  protected void doStop() throws Exception {
    for (Forwarder forwarder : forwarders.values()) {
      removeBean(forwarder);
      LifeCycle.stop(forwarder);
    }
    forwarders.clear();
    paths.clear();
    super.doStop();
  }

  private UpstreamPath pathTo(Upstream upstream) {
    UpstreamPath path = paths.get(upstream);
    return path != null ? path : newPath(upstream);
  }

  private synchronized UpstreamPath newPath(Upstream upstream) {
    UpstreamPath existing = paths.get(upstream);
    if (existing != null) {
      return existing;
    }
    UpstreamClient key = UpstreamClient.of(upstream);
    Forwarder forwarder = forwarders.get(key);
    if (forwarder == null) {
      forwarder = newForwarder(key);
    }
    UpstreamPath path = new UpstreamPath(forwarder, new ResponseHeaderRewriter(upstream));
    paths.put(upstream, path);
    return path;
  }

  private Forwarder newForwarder(UpstreamClient key) {
    Forwarder forwarder = new Forwarder(key);
    forwarder.setServer(getServer());
    try {
      forwarder.start();
    } catch (Exception e) {
      throw new IllegalStateException("cannot start the HTTP client for " + key, e);
    }
    addBean(forwarder, false); // shows in dumps; stopped by doStop, not twice by the container
    forwarders.put(key, forwarder);
    return forwarder;
  }

  // ---- client request -> decision ------------------------------------------------------------

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    HttpFields headers = request.getHeaders();
    String authority = CoreRequestView.authority(request);
    String host = CoreRequestView.routingHost(request, authority);
    ProxyExchange exchange = new ProxyExchange(ProxyExchange.requestId(headers.get(ProxiedHeaders.REQUEST_ID)), request.getMethod(),
        host, authority, System.nanoTime());
    HttpURI uri = request.getHttpURI();
    Decision decision = targets.decide(uri.getPath(), uri.getQuery(), path -> new CoreRequestView(request, host, path));
    Callback completion = new Completion(exchange, response, callback);
    if (decision instanceof Forward forward) {
      exchange.routed(forward.route(), forward.path());
      settings.listener().onRouted(exchange);
      UpstreamPath path = pathTo(forward.route().upstream());
      return path.forwarder().handle(new RoutedRequest(request, exchange, forward, path.rewriter()), response, completion);
    }
    Refuse refuse = (Refuse) decision;
    exchange.refused(refuse);
    settings.listener().onRefused(exchange, refuse.status(), refuse.reason());
    if (refuse.status() == 405) {
      response.getHeaders().put(HttpHeader.ALLOW, UpstreamFailures.ALLOWED_METHODS);
    }
    writeError(response, refuse.status(), refuse.path() == null ? "/" : refuse.path(),
        UpstreamFailures.refusalMessage(refuse.status(), refuse.reason()), completion);
    return true;
  }

  private static void writeError(Response response, int status, String path, String message, Callback callback) {
    ErrorResponses.Body body = ErrorResponses.body(status, path, message);
    response.setStatus(status);
    HttpFields.Mutable headers = response.getHeaders();
    headers.put(HttpHeader.CONTENT_TYPE, body.contentType());
    if (body.registry()) {
      headers.put("Docker-Distribution-Api-Version", "registry/2.0");
    }
    headers.put(HttpHeader.CONTENT_LENGTH, body.bytes().length);
    response.write(true, ByteBuffer.wrap(body.bytes()), callback);
  }

  /** Ends the exchange for listeners once Jetty is done with the response, either way. */
  private final class Completion implements Callback {
    private final ProxyExchange exchange;
    private final Response response;
    private final Callback callback;

    Completion(ProxyExchange exchange, Response response, Callback callback) {
      this.exchange = exchange;
      this.response = response;
      this.callback = callback;
    }

    @Override
    public void succeeded() {
      complete();
      callback.succeeded();
    }

    @Override
    public void failed(Throwable failure) {
      complete();
      callback.failed(failure);
    }

    private void complete() {
      if (exchange.complete()) {
        settings.listener().onCompleted(exchange, response.getStatus());
      }
    }

    @Override
    public InvocationType getInvocationType() {
      return callback.getInvocationType();
    }
  }

  /** The client request with gantry's decision about it attached. */
  private static final class RoutedRequest extends Request.Wrapper {
    final ProxyExchange exchange;
    final Forward forward;
    final ResponseHeaderRewriter rewriter;

    RoutedRequest(Request request, ProxyExchange exchange, Forward forward, ResponseHeaderRewriter rewriter) {
      super(request);
      this.exchange = exchange;
      this.forward = forward;
      this.rewriter = rewriter;
    }
  }

  private static RoutedRequest routed(Request request) {
    return (RoutedRequest) request;
  }

  /**
   * The settings that need an HTTP client of their own: everything else is set per request.
   * Plain-HTTP upstreams get a client without TLS: starting Jetty's client TLS factory parses the
   * JDK's ~140 CA certificates, a measurable part of a one-core start, for a client that never
   * uses them (docs/performance.md).
   */
  private record UpstreamClient(java.time.Duration connectTimeout, java.security.KeyStore trustStore, boolean tls) {
    static UpstreamClient of(Upstream upstream) {
      return new UpstreamClient(upstream.connectTimeout(), upstream.trustStore(), "https".equals(upstream.scheme()));
    }
  }

  /**
   * Jetty's {@link ProxyHandler} for the upstreams that share one HTTP client: it streams the
   * bodies and handles interim responses; gantry decides the target and what headers cross.
   */
  private final class Forwarder extends ProxyHandler {
    private final UpstreamClient client;

    Forwarder(UpstreamClient client) {
      this.client = client;
      setViaHost(VIA_HOST);
    }

    @Override
    protected HttpClient newHttpClient() {
      ClientConnector connector = new ClientConnector();
      connector.setSelectors(1);
      Server server = getServer();
      if (server != null) {
        connector.setExecutor(server.getThreadPool()); // no second pool of threads
      }
      SslContextFactory.Client tls = new SslContextFactory.Client();
      tls.setEndpointIdentificationAlgorithm("HTTPS"); // verify the upstream's name, always
      if (client.trustStore() != null) {
        tls.setTrustStore(client.trustStore());
      }
      connector.setSslContextFactory(tls);
      if (!client.tls()) {
        connector.unmanage(tls); // never started, so never loads a trust store
      }
      return new HttpClient(new HttpClientTransportOverHTTP(connector));
    }

    @Override
    protected void configureHttpClient(HttpClient httpClient) {
      super.configureHttpClient(httpClient);
      httpClient.setConnectTimeout(client.connectTimeout().toMillis());
      httpClient.setIdleTimeout(Upstream.DEFAULT_IDLE_TIMEOUT.toMillis());
      httpClient.setMaxConnectionsPerDestination(settings.maxConnectionsPerUpstream());
      httpClient.setMaxRequestsQueuedPerDestination(settings.maxQueuedPerUpstream());
      httpClient.setUserAgentField(null); // never add a User-Agent the client did not send
      httpClient.setRequestBufferSize(65536);
      // The read size of response bodies, and so the write size towards the client: 32 KiB moved
      // 1 GiB with 0.41 s of CPU against 0.47 s with 64 KiB and 0.8+ s with 16 KiB (perf A/B).
      httpClient.setResponseBufferSize(32768);
    }

    @Override
    protected HttpURI rewriteHttpURI(Request request) {
      return HttpURI.from(routed(request).forward.target());
    }

    @Override
    protected org.eclipse.jetty.client.Request newProxyToServerRequest(Request request, HttpURI target) {
      Upstream upstream = routed(request).forward.route().upstream();
      // From the target string: HttpURI.toURI() would re-encode every component first.
      return getHttpClient().newRequest(routed(request).forward.target())
          .method(request.getMethod())
          .idleTimeout(upstream.idleTimeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    // ---- client request -> upstream request --------------------------------------------------

    @Override
    protected void copyRequestHeaders(Request request, org.eclipse.jetty.client.Request upstreamRequest) {
      upstreamRequest.headers(upstream ->
          ProxiedHeaders.copyRequestHeaders(request.getHeaders(), routed(request).exchange, upstream));
    }

    @Override
    protected void addProxyHeaders(Request request, org.eclipse.jetty.client.Request upstreamRequest) {
      addViaHeader(request, upstreamRequest);
      ForwardedHeaders.ClientConnection connection = new ForwardedHeaders.ClientConnection(
          Request.getRemoteAddr(request), request.isSecure(), routed(request).exchange.authority(),
          Request.getLocalAddr(request));
      HttpFields inbound = request.getHeaders();
      upstreamRequest.headers(h -> settings.forwardedHeaders().apply(connection, name -> ProxiedHeaders.joined(inbound, name), h));
    }

    @Override
    protected org.eclipse.jetty.client.Request.Content newProxyToServerRequestContent(Request request,
        Response response, org.eclipse.jetty.client.Request upstreamRequest) {
      ProxyExchange exchange = routed(request).exchange;
      return new ProxyRequestContent(request) {
        @Override
        public Content.Chunk read() {
          Content.Chunk chunk = super.read();
          if (chunk != null) {
            exchange.addBytesIn(chunk.remaining());
          }
          return chunk;
        }
      };
    }

    @Override
    protected org.eclipse.jetty.client.Response.CompleteListener newServerToProxyResponseListener(Request request,
        org.eclipse.jetty.client.Request upstreamRequest, Response response, Callback callback) {
      return new ResponseForwarder(routed(request), upstreamRequest, response, callback);
    }

    // ---- upstream response -> client response ------------------------------------------------

    private final class ResponseForwarder extends ProxyResponseListener {
      private final RoutedRequest request;
      private final Response response;

      ResponseForwarder(RoutedRequest request, org.eclipse.jetty.client.Request upstreamRequest, Response response,
          Callback callback) {
        super(request, upstreamRequest, response, callback);
        this.request = request;
        this.response = response;
      }

      @Override
      public void onHeaders(org.eclipse.jetty.client.Response upstreamResponse) {
        HttpFields.Mutable headers = response.getHeaders();
        ProxiedHeaders.copyResponseHeaders(upstreamResponse.getHeaders(), request.rewriter,
            request.isSecure() ? "https" : "http", request.exchange.authority(),
            (field, value) -> headers.add(value.equals(field.getValue()) ? field : new HttpField(field.getHeader(), field.getName(), value)));
      }

      @Override
      public void onContent(org.eclipse.jetty.client.Response upstreamResponse, Content.Chunk chunk, Runnable demander) {
        request.exchange.addBytesOut(chunk.remaining());
        super.onContent(upstreamResponse, chunk, demander);
      }
    }

    // ---- failures ----------------------------------------------------------------------------

    @Override
    protected void onServerToProxyResponseFailure(Request request, org.eclipse.jetty.client.Request upstreamRequest,
        org.eclipse.jetty.client.Response upstreamResponse, Response response, Callback callback, Throwable failure) {
      ProxyExchange exchange = routed(request).exchange;
      int status = UpstreamFailures.status(failure);
      if (upstreamResponse != null && upstreamResponse.getStatus() >= 200
          && HttpHeaderValue.CONTINUE.is(request.getHeaders().get(HttpHeader.EXPECT))) {
        status = upstreamResponse.getStatus(); // the upstream refused the body it had not asked for
      }
      settings.listener().onUpstreamFailure(exchange, status, failure);
      if (LOG.isDebugEnabled()) {
        LOG.debug("{} route {} failed: {}", exchange.requestId(), exchange.routeName(), failure.toString());
      }
      if (response.isCommitted()) {
        // Mid-body: the only honest signal left is to abort the client connection.
        callback.failed(failure);
        return;
      }
      response.reset();
      response.getHeaders().put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
      writeError(response, status, exchange.path(), UpstreamFailures.message(status, exchange), callback);
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
