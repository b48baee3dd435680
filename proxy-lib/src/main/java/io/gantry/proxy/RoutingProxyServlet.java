package io.gantry.proxy;

import io.gantry.proxy.upstream.InstanceStatus;
import io.gantry.proxy.route.Route;
import io.gantry.proxy.route.RouteTable;
import io.gantry.proxy.upstream.Upstream;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletConfig;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.AsyncRequestContent;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.ee10.proxy.AsyncProxyServlet;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.util.Callback;

/**
 * A streaming reverse proxy servlet that routes every request through a {@link RouteTable}.
 *
 * <p>Built on Jetty's {@link AsyncProxyServlet} (asynchronous I/O in both directions, no body
 * buffering, no size limit); it overrides Jetty's hooks only and hands every decision to the same
 * steps as {@link RoutingProxyHandler}: the SNI/Host check, path safety and routing ({@link
 * Router}), the headers that cross in each direction, who is to blame for a failure, and the
 * observer events.
 *
 * <p>Embedding takes a few lines; the servlet must be async-supported, which {@link #toHolder()}
 * takes care of:
 *
 * <pre>{@code
 * RouteTable routes = RouteTable.builder()
 *     .route(Route.of("pull", host("registry.example.com").and(method("GET", "HEAD")),
 *         Upstream.of("http://nexus:8081/repository/docker-group/")))
 *     .route(Route.of("push", host("registry.example.com"),
 *         Upstream.of("http://nexus:8081/repository/docker-hosted/")))
 *     .build();
 * ServletContextHandler context = new ServletContextHandler("/");
 * context.addServlet(RoutingProxyServlet.builder().routes(routes).build().toHolder(), "/*");
 * server.setHandler(context);
 * }</pre>
 *
 * <p>Defaults differ from Jetty's where Jetty's break registries: no total timeout (only each
 * upstream's idle timeout), the client's {@code Host} preserved, forwarding headers replaced
 * rather than appended, 64 KiB request and 32 KiB response buffers, heap input buffers, and a
 * bounded queue per upstream answered with 503 when full. Servlet init parameters ({@code
 * maxConnections}, {@code requestBufferSize}, ...) still override them.
 */
public class RoutingProxyServlet extends AsyncProxyServlet implements RoutingProxy {
  private static final long serialVersionUID = 1L;

  /** Init parameter defaults, chosen for multi-GiB blob transfers. */
  private static final Map<String, String> DEFAULT_INIT_PARAMETERS = Map.of(
      "maxThreads", "-",            // share the server's thread pool
      "idleTimeout", String.valueOf(Upstream.DEFAULT_IDLE_TIMEOUT.toMillis()),
      "timeout", "0",               // no total timeout: a 10 GiB layer takes as long as it takes
      "requestBufferSize", String.valueOf(UpstreamClients.REQUEST_BUFFER),
      "responseBufferSize", String.valueOf(UpstreamClients.RESPONSE_BUFFER),
      "preserveHost", "true",       // registries build their URLs from Host
      "viaHost", "gantry",
      "selectors", "1");

  private final transient ProxyFlow flow;
  private final transient Map<UpstreamClients.Key, HttpClient> clients = new ConcurrentHashMap<>();
  private final transient ClientRetirement retirement;
  private transient UpstreamClients.Key pendingKey;

  private final boolean keepMountPath;

  RoutingProxyServlet(ProxySettings settings, boolean keepMountPath) {
    this.flow = new ProxyFlow(settings);
    this.retirement = new ClientRetirement(this::retirableClients,
        () -> ClientRetirement.keysOf(flow.routes(), flow.settings()), this::retire);
    this.keepMountPath = keepMountPath;
  }

  /** A holder for this servlet with async support on, ready for {@code addServlet(holder, "/*")}. */
  public ServletHolder toHolder() {
    ServletHolder holder = new ServletHolder("gantry-proxy", this);
    holder.setAsyncSupported(true);
    return holder;
  }

  @Override
  public RouteTable routes() {
    return flow.routes();
  }

  @Override
  public void setRoutes(RouteTable routes) {
    boolean started = getHttpClient() != null;
    if (started) {
      routes.routes().forEach(route -> clientFor(route.upstream())); // started before the first request, as at init
    }
    flow.setRoutes(routes);
    if (started) {
      retirement.check(getHttpClient().getScheduler()); // the servlet's own client: never retired
    }
  }

  @Override
  public int upstreamClients() {
    return clients.size();
  }

  /** The clients but the servlet's own (Jetty's, made at init), which lives as long as the servlet. */
  private Map<UpstreamClients.Key, HttpClient> retirableClients() {
    Map<UpstreamClients.Key, HttpClient> retirable = new HashMap<>(clients);
    retirable.values().remove(getHttpClient());
    return retirable;
  }

  /** Stops a client no route needs. */
  private synchronized void retire(UpstreamClients.Key key) {
    HttpClient client = clients.remove(key);
    if (client == null) {
      return;
    }
    try {
      client.stop();
    } catch (Exception e) {
      _log.debug("stopping an upstream client failed", e);
    }
  }

  @Override
  public List<InstanceStatus> instances(Upstream upstream) {
    return flow.instances(upstream);
  }

  // ---- configuration -------------------------------------------------------------------------

  @Override
  public void init(ServletConfig config) throws ServletException {
    Map<String, String> defaults = new HashMap<>(DEFAULT_INIT_PARAMETERS);
    defaults.put("maxConnections", String.valueOf(flow.settings().maxConnectionsPerUpstream()));
    // Jetty makes its own client at init: one for the first route's settings, so it is not wasted.
    RouteTable routes = flow.routes();
    pendingKey = routes.isEmpty()
        ? new UpstreamClients.Key(Upstream.DEFAULT_CONNECT_TIMEOUT, null, false, flow.settings().maxConnectionsPerUpstream())
        : UpstreamClients.Key.of(routes.routes().get(0).upstream(), flow.settings());
    ServletContextHandler context = ServletContextHandler.getServletContextHandler(config.getServletContext());
    if (flow.settings().configureServer()) {
      context.getServletHandler().setDecodeAmbiguousURIs(true); // gantry's PathNormalizer judges paths
    }
    ServerSetup.prepare(context.getServer(), routes, flow, flow.settings().configureServer());
    try {
      super.init(new DefaultingConfig(config, defaults));
      clients.put(pendingKey, getHttpClient());
    } finally {
      pendingKey = null;
    }
    flow.start(this::clientFor);
  }

  @Override
  protected HttpClient newHttpClient() {
    HttpClient client = super.newHttpClient();
    UpstreamClients.configure(client, pendingKey, flow.settings());
    // Jetty reads into direct buffers by default, and this servlet then copies each chunk into a
    // fresh byte[]; heap buffers are handed through without that copy and garbage. (The handler
    // writes the chunks themselves to the client, where direct buffers save a copy instead.)
    client.setUseInputDirectByteBuffers(false);
    client.setStrictEventOrdering(false);
    return client;
  }

  @Override
  protected ClientConnector newClientConnector() {
    return UpstreamClients.connector(pendingKey, null); // Jetty sets the executor from maxThreads
  }

  /** The HTTP client for an upstream: one per distinct {@link UpstreamClients.Key}. */
  private HttpClient clientFor(Upstream upstream) {
    UpstreamClients.Key key = UpstreamClients.Key.of(upstream, flow.settings());
    HttpClient client = clients.get(key);
    return client != null ? client : newClientFor(key);
  }

  private synchronized HttpClient newClientFor(UpstreamClients.Key key) {
    HttpClient existing = clients.get(key);
    if (existing != null) {
      return existing;
    }
    pendingKey = key;
    try {
      HttpClient client = createHttpClient();
      client.setMaxConnectionsPerDestination(key.maxConnections()); // over the init parameter, which is the default
      clients.put(key, client);
      return client;
    } catch (ServletException e) {
      throw new IllegalStateException("cannot start the HTTP client for " + key + ": " + e.getMessage(), e);
    } finally {
      pendingKey = null;
    }
  }

  @Override
  public void destroy() {
    flow.stop();
    for (HttpClient client : clients.values()) {
      if (client != getHttpClient()) {
        try {
          client.stop();
        } catch (Exception e) {
          _log.debug("stopping an upstream client failed", e);
        }
      }
    }
    super.destroy();
  }

  // ---- client request -> decision ------------------------------------------------------------

  /** The core request under the servlet one: the flow reads the same fields as in the handler engine. */
  private static org.eclipse.jetty.server.Request core(HttpServletRequest clientRequest) {
    return ServletContextRequest.getServletContextRequest(clientRequest);
  }

  private static ProxyExchange exchange(HttpServletRequest clientRequest) {
    return ProxyExchange.of(core(clientRequest));
  }

  @Override
  protected String rewriteTarget(HttpServletRequest clientRequest) {
    org.eclipse.jetty.server.Request core = core(clientRequest);
    MountPath within = MountPath.of(clientRequest, core.getHttpURI().getPath(), keepMountPath);
    ProxyExchange exchange = flow.begin(core, within.path(), within.mount(), false);
    return exchange.forward() == null ? null : exchange.target();
  }

  @Override
  protected void onProxyRewriteFailed(HttpServletRequest clientRequest, HttpServletResponse clientResponse) {
    ProxyExchange exchange = exchange(clientRequest);
    ErrorResponse refusal = ProxyFlow.refusal(exchange, core(clientRequest).getHttpURI().getPath());
    try {
      refusal.writeTo(clientResponse);
    } catch (IOException e) {
      _log.debug("writing a refusal failed", e);
    }
    flow.complete(exchange, refusal.status());
  }

  @Override
  protected Request newProxyRequest(HttpServletRequest clientRequest, String target) {
    Route route = exchange(clientRequest).route();
    return clientFor(route.upstream()).newRequest(target)
        .method(clientRequest.getMethod())
        .attribute(CLIENT_REQUEST_ATTRIBUTE, clientRequest)
        .idleTimeout(route.upstream().idleTimeout().toMillis(), TimeUnit.MILLISECONDS);
  }

  // ---- client request -> upstream request ----------------------------------------------------

  @Override
  protected void copyRequestHeaders(HttpServletRequest clientRequest, Request upstreamRequest) {
    upstreamRequest.headers(upstream -> flow.upstreamRequestHeaders(exchange(clientRequest), core(clientRequest), upstream));
  }

  @Override
  protected void addProxyHeaders(HttpServletRequest clientRequest, Request upstreamRequest) {
    // Via and forwarding headers are part of upstreamRequestHeaders.
  }

  @Override
  protected void sendProxyRequest(HttpServletRequest clientRequest, HttpServletResponse clientResponse, Request upstreamRequest) {
    ProxyExchange exchange = exchange(clientRequest);
    clientRequest.getAsyncContext().addListener(new AsyncListener() {
      @Override
      public void onComplete(AsyncEvent event) {
        flow.complete(exchange, clientResponse.getStatus());
      }

      @Override
      public void onTimeout(AsyncEvent event) {}

      @Override
      public void onError(AsyncEvent event) {
        flow.complete(exchange, clientResponse.getStatus());
      }

      @Override
      public void onStartAsync(AsyncEvent event) {}
    });
    super.sendProxyRequest(clientRequest, clientResponse, upstreamRequest);
  }

  @Override
  protected ReadListener newReadListener(HttpServletRequest clientRequest, HttpServletResponse clientResponse,
      Request upstreamRequest, AsyncRequestContent content) {
    ProxyExchange exchange = exchange(clientRequest);
    return new StreamReader(clientRequest, clientResponse, upstreamRequest, content) {
      @Override
      protected void onRequestContent(HttpServletRequest request, Request proxyRequest, AsyncRequestContent body,
          byte[] buffer, int offset, int length, Callback callback) {
        exchange.addBytesIn(length);
        super.onRequestContent(request, proxyRequest, body, buffer, offset, length, callback);
      }

      // A read that fails is the client's body breaking, not the upstream: it surfaces either here
      // or, when the read was resumed by the upstream side taking the previous chunk, as a failure
      // of the upstream request; recording it on the exchange tells the two apart. The reader also
      // fails when the upstream request was aborted (its connection refused, say): that failure is
      // the request's abort cause, and stays the upstream's.
      @Override
      protected Action process() throws Exception {
        try {
          return super.process();
        } catch (Throwable failure) {
          clientFailed(failure);
          throw failure;
        }
      }

      @Override
      public void onError(Throwable failure) {
        clientFailed(failure);
        super.onError(failure);
      }

      private void clientFailed(Throwable failure) {
        if (failure != upstreamRequest.getAbortCause() && UpstreamFailures.clientSide(failure)) {
          exchange.clientFailed(failure);
        }
      }
    };
  }

  @Override
  protected int clientRequestStatus(Throwable failure) {
    return UpstreamFailures.clientStatus(failure);
  }

  // ---- upstream response -> client response --------------------------------------------------

  @Override
  protected void onServerResponseHeaders(HttpServletRequest clientRequest, HttpServletResponse clientResponse,
      Response upstreamResponse) {
    HttpFields upstream = upstreamResponse.getHeaders();
    if (!upstream.contains(HttpHeader.CONTENT_LENGTH)) {
      // A body of unknown length may be a stream of small events: pass each chunk on as it
      // comes instead of aggregating it in the servlet's output buffer.
      clientResponse.setBufferSize(0);
    }
    ProxyExchange exchange = exchange(clientRequest);
    flow.responded(exchange, upstreamResponse.getStatus());
    flow.clientResponseHeaders(exchange, upstream,
        (field, value) -> clientResponse.addHeader(field.getName(), value));
  }

  @Override
  protected void onResponseContent(HttpServletRequest clientRequest, HttpServletResponse clientResponse,
      Response upstreamResponse, byte[] buffer, int offset, int length, Callback callback) {
    exchange(clientRequest).addBytesOut(length);
    super.onResponseContent(clientRequest, clientResponse, upstreamResponse, buffer, offset, length, callback);
  }

  // ---- failures ------------------------------------------------------------------------------

  @Override
  protected void onProxyResponseFailure(HttpServletRequest clientRequest, HttpServletResponse clientResponse,
      Response upstreamResponse, Throwable failure) {
    ProxyExchange exchange = exchange(clientRequest);
    ErrorResponse error = flow.failure(exchange, failure, upstreamResponse == null ? 0 : upstreamResponse.getStatus(),
        expects100Continue(clientRequest), clientResponse.isCommitted());
    if (error == null) {
      // The request has no body: send it again, to the new instance, with the same listeners.
      Request again = newProxyRequest(clientRequest, exchange.target());
      copyRequestHeaders(clientRequest, again);
      super.sendProxyRequest(clientRequest, clientResponse, again);
      return;
    }
    if (clientResponse.isCommitted()) {
      // Mid-body: the only honest signal left is to abort the client connection.
      super.sendProxyResponseError(clientRequest, clientResponse, error.status());
      return;
    }
    writeAndComplete(clientRequest, clientResponse, error);
  }

  @Override
  protected void sendProxyResponseError(HttpServletRequest clientRequest, HttpServletResponse clientResponse, int status) {
    // Reached when Jetty answers by itself (the upstream request could not be aborted any more).
    ProxyExchange exchange = exchange(clientRequest);
    if (clientResponse.isCommitted()) {
      super.sendProxyResponseError(clientRequest, clientResponse, status);
      return;
    }
    writeAndComplete(clientRequest, clientResponse,
        ErrorResponse.of(status, exchange.path(), UpstreamFailures.message(status, exchange)).closingConnection());
  }

  private void writeAndComplete(HttpServletRequest clientRequest, HttpServletResponse clientResponse, ErrorResponse error) {
    try {
      error.writeTo(clientResponse);
    } catch (IOException | IllegalStateException e) {
      _log.debug("writing an error response failed", e);
    } finally {
      if (clientRequest.isAsyncStarted()) {
        clientRequest.getAsyncContext().complete();
      }
    }
  }

  /** Starts a builder; {@link Builder#routes} is the one required setting. */
  public static Builder builder() {
    return new Builder();
  }

  /** Configures a {@link RoutingProxyServlet}; see {@link ProxyBuilder} for the settings. */
  public static final class Builder extends ProxyBuilder<Builder, RoutingProxyServlet> {
    private boolean keepMountPath;

    private Builder() {}

    /**
     * Whether routes see, and upstreams receive, the path the servlet is mounted at (default off).
     * Off, a servlet mapped to {@code /registry/*} (in context {@code /app}) routes and forwards
     * {@code /app/registry/v2/x} as {@code /v2/x}, like Jetty's {@code ProxyServlet.Transparent} and
     * Spring Cloud Gateway's {@code StripPrefix}, and puts {@code /app/registry} back into rewritten
     * {@code Location}, {@code Link} and the like. On, the full request path is used.
     */
    public Builder keepMountPath(boolean keep) {
      this.keepMountPath = keep;
      return this;
    }

    @Override
    public RoutingProxyServlet build() {
      return new RoutingProxyServlet(settings(), keepMountPath);
    }
  }
}
