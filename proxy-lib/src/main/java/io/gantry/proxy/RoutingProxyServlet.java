package io.gantry.proxy;

import io.gantry.proxy.header.ForwardedHeaders;
import io.gantry.proxy.header.ResponseHeaderRewriter;
import io.gantry.proxy.route.Route;
import io.gantry.proxy.route.RouteTable;
import io.gantry.proxy.Router;
import io.gantry.proxy.Router.Decision;
import io.gantry.proxy.Router.Forward;
import io.gantry.proxy.Router.Refuse;
import io.gantry.proxy.upstream.Upstream;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletConfig;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.AsyncRequestContent;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.ee10.proxy.AsyncProxyServlet;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * A streaming reverse proxy servlet that routes every request through a {@link RouteTable}.
 *
 * <p>Built on Jetty's {@link AsyncProxyServlet} (asynchronous I/O in both directions, no body
 * buffering, no size limit); it overrides Jetty's hooks only and delegates the decisions to plain
 * classes: {@link Router} (path safety, route, upstream URL), {@link ForwardedHeaders}
 * (what crosses to the backend) and {@link ResponseHeaderRewriter} (what crosses back).
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
 * rather than appended, 64 KiB request and response buffers, heap input buffers, and a bounded
 * queue per upstream answered with 503 when full. Servlet init parameters ({@code
 * maxConnections}, {@code requestBufferSize}, ...) still override them.
 */
public class RoutingProxyServlet extends AsyncProxyServlet {
  private static final long serialVersionUID = 1L;
  private static final String EXCHANGE = ProxyExchange.class.getName();

  /** Init parameter defaults, chosen for multi-GiB blob transfers. */
  private static final Map<String, String> DEFAULT_INIT_PARAMETERS = Map.of(
      "maxThreads", "-",            // share the server's thread pool
      "idleTimeout", String.valueOf(Upstream.DEFAULT_IDLE_TIMEOUT.toMillis()),
      "timeout", "0",               // no total timeout: a 10 GiB layer takes as long as it takes
      "requestBufferSize", "65536", // the upload read chunk too; 4 KiB made uploads 4x slower
      "responseBufferSize", "65536",
      "preserveHost", "true",       // registries build their URLs from Host
      "viaHost", "gantry",
      "selectors", "1");

  private final transient ProxySettings settings;
  private transient volatile Router targets;
  private final transient Map<Upstream, ResponseHeaderRewriter> rewriters = new ConcurrentHashMap<>();
  private final transient Map<ClientSettings, HttpClient> clients = new ConcurrentHashMap<>();
  private transient ClientSettings pendingClientSettings = ClientSettings.DEFAULT;

  /** Per-upstream HTTP client settings that cannot be set per request. */
  private record ClientSettings(Duration connectTimeout, KeyStore trustStore) {
    static final ClientSettings DEFAULT = new ClientSettings(Upstream.DEFAULT_CONNECT_TIMEOUT, null);

    static ClientSettings of(Upstream u) {
      return new ClientSettings(u.connectTimeout(), u.trustStore());
    }
  }

  RoutingProxyServlet(ProxySettings settings) {
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
    this.targets = new Router(Objects.requireNonNull(routes, "routes"));
  }

  /** A holder for this servlet with async support on, ready for {@code addServlet(holder, "/*")}. */
  public ServletHolder toHolder() {
    ServletHolder holder = new ServletHolder("gantry-proxy", this);
    holder.setAsyncSupported(true);
    return holder;
  }

  // ---- configuration -------------------------------------------------------------------------

  @Override
  public void init(ServletConfig config) throws ServletException {
    Map<String, String> defaults = new HashMap<>(DEFAULT_INIT_PARAMETERS);
    defaults.put("maxConnections", String.valueOf(settings.maxConnectionsPerUpstream()));
    super.init(new DefaultingConfig(config, defaults));
    clients.put(ClientSettings.DEFAULT, getHttpClient());
  }

  @Override
  protected HttpClient newHttpClient() {
    HttpClient client = super.newHttpClient();
    // Jetty reads into direct buffers by default, and the proxy then copies each chunk into a
    // fresh byte[]; heap buffers are handed through without that copy and garbage.
    client.setUseInputDirectByteBuffers(false);
    client.setConnectTimeout(pendingClientSettings.connectTimeout().toMillis());
    client.setMaxRequestsQueuedPerDestination(settings.maxQueuedPerUpstream());
    client.setUserAgentField(null); // never add a User-Agent the client did not send
    client.setStrictEventOrdering(false);
    return client;
  }

  @Override
  protected ClientConnector newClientConnector() {
    ClientConnector connector = new ClientConnector();
    SslContextFactory.Client tls = new SslContextFactory.Client();
    tls.setEndpointIdentificationAlgorithm("HTTPS"); // verify the upstream's name, always
    if (pendingClientSettings.trustStore() != null) {
      tls.setTrustStore(pendingClientSettings.trustStore());
    }
    connector.setSslContextFactory(tls);
    return connector;
  }

  /** The HTTP client for an upstream: one per distinct connect timeout and trust store. */
  private HttpClient clientFor(Upstream upstream) {
    ClientSettings key = ClientSettings.of(upstream);
    HttpClient client = clients.get(key);
    return client != null ? client : newClientFor(key);
  }

  private synchronized HttpClient newClientFor(ClientSettings key) {
    HttpClient existing = clients.get(key);
    if (existing != null) {
      return existing;
    }
    pendingClientSettings = key;
    try {
      HttpClient client = createHttpClient();
      clients.put(key, client);
      return client;
    } catch (ServletException e) {
      throw new IllegalStateException("cannot start the HTTP client for " + key, e);
    } finally {
      pendingClientSettings = ClientSettings.DEFAULT;
    }
  }

  @Override
  public void destroy() {
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

  @Override
  protected String rewriteTarget(HttpServletRequest clientRequest) {
    // The core request under the servlet one: both engines then read host, authority, SNI and
    // headers through the one CoreRequestView.
    org.eclipse.jetty.server.Request request = ServletContextRequest.getServletContextRequest(clientRequest);
    String authority = CoreRequestView.authority(request);
    String host = CoreRequestView.routingHost(request, authority);
    ProxyExchange exchange = new ProxyExchange(ProxyExchange.requestId(clientRequest.getHeader(ProxiedHeaders.REQUEST_ID)),
        clientRequest.getMethod(), host, authority, System.nanoTime());
    clientRequest.setAttribute(EXCHANGE, exchange);
    Decision decision = targets.decide(clientRequest.getRequestURI(), clientRequest.getQueryString(),
        path -> new CoreRequestView(request, host, path));
    if (decision instanceof Forward forward) {
      exchange.routed(forward.route(), forward.path());
      settings.listener().onRouted(exchange);
      return forward.target();
    }
    Refuse refuse = (Refuse) decision;
    exchange.refused(refuse);
    return null;
  }

  @Override
  protected void onProxyRewriteFailed(HttpServletRequest clientRequest, HttpServletResponse clientResponse) {
    ProxyExchange exchange = exchange(clientRequest);
    Refuse refuse = exchange.refusal();
    settings.listener().onRefused(exchange, refuse.status(), refuse.reason());
    String message = UpstreamFailures.refusalMessage(refuse.status(), refuse.reason());
    if (refuse.status() == 405) {
      clientResponse.setHeader("Allow", UpstreamFailures.ALLOWED_METHODS);
    }
    try {
      ErrorResponses.write(clientResponse, refuse.status(), refuse.path() == null ? "/" : refuse.path(), message);
    } catch (IOException e) {
      _log.debug("writing a refusal failed", e);
    }
    complete(exchange, refuse.status());
  }

  @Override
  protected Request newProxyRequest(HttpServletRequest clientRequest, String target) {
    Upstream upstream = exchange(clientRequest).route().upstream();
    return clientFor(upstream).newRequest(target)
        .method(clientRequest.getMethod())
        .attribute(CLIENT_REQUEST_ATTRIBUTE, clientRequest)
        .idleTimeout(upstream.idleTimeout().toMillis(), TimeUnit.MILLISECONDS);
  }

  // ---- client request -> upstream request ----------------------------------------------------

  @Override
  protected void copyRequestHeaders(HttpServletRequest clientRequest, Request upstreamRequest) {
    HttpFields client = coreHeaders(clientRequest);
    upstreamRequest.headers(h -> ProxiedHeaders.copyRequestHeaders(client, exchange(clientRequest), h.clear()));
  }

  /** The request's headers as Jetty parsed them: the same fields the handler engine reads. */
  private static HttpFields coreHeaders(HttpServletRequest request) {
    return ServletContextRequest.getServletContextRequest(request).getHeaders();
  }

  @Override
  protected void addProxyHeaders(HttpServletRequest clientRequest, Request upstreamRequest) {
    addViaHeader(clientRequest, upstreamRequest);
    ForwardedHeaders.ClientConnection connection = new ForwardedHeaders.ClientConnection(
        clientRequest.getRemoteAddr(), clientRequest.isSecure(), exchange(clientRequest).authority(),
        clientRequest.getLocalName());
    upstreamRequest.headers(h -> settings.forwardedHeaders().apply(connection, name -> ProxiedHeaders.joined(coreHeaders(clientRequest), name), h));
  }

  @Override
  protected void sendProxyRequest(HttpServletRequest clientRequest, HttpServletResponse clientResponse, Request upstreamRequest) {
    ProxyExchange exchange = exchange(clientRequest);
    clientRequest.getAsyncContext().addListener(new AsyncListener() {
      @Override
      public void onComplete(AsyncEvent event) {
        complete(exchange, clientResponse.getStatus());
      }

      @Override
      public void onTimeout(AsyncEvent event) {}

      @Override
      public void onError(AsyncEvent event) {
        complete(exchange, clientResponse.getStatus());
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
    };
  }

  // ---- upstream response -> client response --------------------------------------------------

  @Override
  protected void onServerResponseHeaders(HttpServletRequest clientRequest, HttpServletResponse clientResponse,
      Response upstreamResponse) {
    HttpFields fields = upstreamResponse.getHeaders();
    if (!fields.contains(HttpHeader.CONTENT_LENGTH)) {
      // A body of unknown length may be a stream of small events: pass each chunk on as it
      // comes instead of aggregating it in the servlet's output buffer.
      clientResponse.setBufferSize(0);
    }
    ProxyExchange exchange = exchange(clientRequest);
    ResponseHeaderRewriter rewriter = rewriters.computeIfAbsent(exchange.route().upstream(), ResponseHeaderRewriter::new);
    ProxiedHeaders.copyResponseHeaders(fields, rewriter, clientRequest.getScheme(), exchange.authority(),
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
    int status = proxyResponseStatus(failure);
    if (expects100Continue(clientRequest) && upstreamResponse != null && upstreamResponse.getStatus() >= 200) {
      status = upstreamResponse.getStatus(); // the upstream refused the body it had not asked for
    }
    ProxyExchange exchange = exchange(clientRequest);
    settings.listener().onUpstreamFailure(exchange, status, failure);
    if (_log.isDebugEnabled()) {
      _log.debug("{} route {} failed: {}", exchange.requestId(), exchange.routeName(), failure.toString());
    }
    sendProxyResponseError(clientRequest, clientResponse, status);
  }

  @Override
  protected int proxyResponseStatus(Throwable failure) {
    return UpstreamFailures.status(failure);
  }

  @Override
  protected void sendProxyResponseError(HttpServletRequest clientRequest, HttpServletResponse clientResponse, int status) {
    ProxyExchange exchange = exchange(clientRequest);
    if (clientResponse.isCommitted()) {
      // Mid-body: the only honest signal left is to abort the client connection.
      super.sendProxyResponseError(clientRequest, clientResponse, status);
      return;
    }
    try {
      clientResponse.setHeader("Connection", "close");
      ErrorResponses.write(clientResponse, status, exchange == null ? null : exchange.path(),
          UpstreamFailures.message(status, exchange));
    } catch (IOException | IllegalStateException e) {
      _log.debug("writing an error response failed", e);
    } finally {
      if (clientRequest.isAsyncStarted()) {
        clientRequest.getAsyncContext().complete();
      }
    }
  }

  // ---- per-request state ---------------------------------------------------------------------

  private static ProxyExchange exchange(HttpServletRequest request) {
    return (ProxyExchange) request.getAttribute(EXCHANGE);
  }

  private void complete(ProxyExchange exchange, int status) {
    if (exchange != null && exchange.complete()) {
      settings.listener().onCompleted(exchange, status);
    }
  }

  /** Servlet init parameters with gantry's defaults underneath. */
  private static final class DefaultingConfig implements ServletConfig {
    private final ServletConfig config;
    private final Map<String, String> defaults;

    DefaultingConfig(ServletConfig config, Map<String, String> defaults) {
      this.config = config;
      this.defaults = defaults;
    }

    @Override
    public String getServletName() {
      return config.getServletName();
    }

    @Override
    public ServletContext getServletContext() {
      return config.getServletContext();
    }

    @Override
    public String getInitParameter(String name) {
      String value = config.getInitParameter(name);
      return value != null ? value : defaults.get(name);
    }

    @Override
    public Enumeration<String> getInitParameterNames() {
      Set<String> names = new HashSet<>(defaults.keySet());
      names.addAll(Collections.list(config.getInitParameterNames()));
      return Collections.enumeration(names);
    }
  }

  /** Configures a {@link RoutingProxyServlet}; see {@link ProxyBuilder} for the settings. */
  public static final class Builder extends ProxyBuilder<Builder, RoutingProxyServlet> {
    private Builder() {}

    @Override
    public RoutingProxyServlet build() {
      return new RoutingProxyServlet(settings());
    }
  }
}
