package io.gantry.server.admin;

import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.health.HealthCheckRegistry;
import io.gantry.proxy.address.AddressRanges;
import io.gantry.proxy.metrics.MetricsServlets;
import io.gantry.server.metrics.ServerMetrics;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ContextHandler;

/**
 * The admin endpoint: a plain-HTTP connector of its own (named {@value #CONNECTOR_NAME}, bound to
 * 127.0.0.1 by default) and a servlet context that answers on that connector only.
 *
 * <table>
 *   <caption>Paths</caption>
 *   <tr><td>{@code /metrics}</td><td>Dropwizard JSON of every metric</td></tr>
 *   <tr><td>{@code /metrics/prometheus}</td><td>the same metrics in Prometheus text format</td></tr>
 *   <tr><td>{@code /healthcheck}</td><td>health checks as JSON; 500 when one is unhealthy</td></tr>
 *   <tr><td>{@code /ping}</td><td>{@code pong}</td></tr>
 *   <tr><td>{@code /threads}</td><td>a thread dump</td></tr>
 *   <tr><td>{@code /routes}</td><td>the route table, as text</td></tr>
 *   <tr><td>{@code /ready}</td><td>200 {@code ready} once started, 503 {@code starting} before</td></tr>
 *   <tr><td>{@code GET /config}</td><td>the configuration file, its SHA-256, when it was loaded, the last
 *   reload attempt (JSON; with a {@link ConfigEndpoint})</td></tr>
 *   <tr><td>{@code POST /config/reload}</td><td>reloads the file: 200 applied, 422 invalid, 409 needs a
 *   restart, with the result as JSON (with a {@link ConfigEndpoint})</td></tr>
 * </table>
 *
 * <p>Install it after the proxy handler is set, before the server starts. The proxy context should
 * name its own connectors ({@link #onlyOnConnectors}); the admin context is placed first and
 * claims every request arriving on the admin connector in any case, so the proxy is never
 * reachable through it:
 *
 * <pre>{@code
 * ServletContextHandler proxy = new ServletContextHandler("/");
 * proxy.addServlet(servlet.toHolder(), "/*");
 * AdminServer.onlyOnConnectors(proxy, List.of("public", "internal"));
 * server.setHandler(proxy);
 * AdminServer admin = AdminServer.builder(registry, healthChecks)
 *     .port(8081)
 *     .routes(() -> servlet.routes().toString())
 *     .ready(started::get)
 *     .install(server);
 * }</pre>
 */
public final class AdminServer {
  /** The admin connector's name; the admin context's virtual host is {@code @admin}. */
  public static final String CONNECTOR_NAME = "admin";
  /** Where the admin connector binds unless told otherwise: loopback only. */
  public static final String DEFAULT_HOST = "127.0.0.1";

  private final ServerConnector connector;
  private final ServletContextHandler context;

  private AdminServer(ServerConnector connector, ServletContextHandler context) {
    this.connector = connector;
    this.context = context;
  }

  /** Starts a builder over the registries the endpoint reports. */
  public static Builder builder(MetricRegistry metrics, HealthCheckRegistry healthChecks) {
    return new Builder(metrics, healthChecks);
  }

  /** The admin connector; {@code getLocalPort()} gives the bound port once started. */
  public ServerConnector connector() {
    return connector;
  }

  /** The admin servlet context. */
  public ServletContextHandler context() {
    return context;
  }

  /**
   * Restricts {@code context} to requests arriving on the named connectors, through Jetty's
   * {@code @connectorName} virtual hosts; for the proxy context, name every proxy listener.
   */
  public static void onlyOnConnectors(ContextHandler context, Collection<String> connectorNames) {
    List<String> hosts = new ArrayList<>();
    for (String name : connectorNames) {
      if (name.equals(CONNECTOR_NAME)) {
        throw new IllegalArgumentException("connectorNames: " + connectorNames + " (expected: not '" + CONNECTOR_NAME + "')");
      }
      hosts.add("@" + name);
    }
    context.setVirtualHosts(hosts);
  }

  /** Configures and installs an {@link AdminServer}. */
  public static final class Builder {
    private final MetricRegistry metrics;
    private final HealthCheckRegistry healthChecks;
    private String host = DEFAULT_HOST;
    private int port = 8081;
    private Supplier<String> routes = () -> "";
    private BooleanSupplier ready = () -> true;
    private boolean jvmMetrics = true;
    private ConfigEndpoint config;
    private AddressRanges allowFrom = AddressRanges.NONE;
    private String user;
    private String password;

    private Builder(MetricRegistry metrics, HealthCheckRegistry healthChecks) {
      this.metrics = Objects.requireNonNull(metrics, "metrics");
      this.healthChecks = Objects.requireNonNull(healthChecks, "healthChecks");
    }

    /** The address to bind; {@value #DEFAULT_HOST} by default. */
    public Builder host(String host) {
      this.host = Objects.requireNonNull(host, "host");
      return this;
    }

    /** The port to bind, 0 for any free one; 8081 by default. */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port: " + port + " (expected: 0..65535)");
      }
      this.port = port;
      return this;
    }

    /** The text {@code /routes} answers, read on each request; empty by default. */
    public Builder routes(Supplier<String> routes) {
      this.routes = Objects.requireNonNull(routes, "routes");
      return this;
    }

    /** Whether {@code /ready} answers 200; always by default. */
    public Builder ready(BooleanSupplier ready) {
      this.ready = Objects.requireNonNull(ready, "ready");
      return this;
    }

    /** Serves {@code GET /config} and {@code POST /config/reload}; neither path by default. */
    public Builder config(ConfigEndpoint config) {
      this.config = Objects.requireNonNull(config, "config");
      return this;
    }

    /** Only these client addresses may use the admin endpoint (403 otherwise); every address by default. */
    public Builder allowFrom(AddressRanges allowFrom) {
      this.allowFrom = Objects.requireNonNull(allowFrom, "allowFrom");
      return this;
    }

    /** Requires HTTP basic authentication with this user and password (401 otherwise); none by default. */
    public Builder basicAuth(String user, String password) {
      if (user == null || user.isEmpty() || user.indexOf(':') >= 0 || password == null || password.isEmpty()) {
        throw new IllegalArgumentException("basicAuth: (expected: a user without ':' and a non-empty password)");
      }
      this.user = user;
      this.password = password;
      return this;
    }

    /** Whether to register the JVM metrics under {@code jvm.}; on by default. */
    public Builder jvmMetrics(boolean jvmMetrics) {
      this.jvmMetrics = jvmMetrics;
      return this;
    }

    /**
     * Adds the admin connector and context to {@code server}, ahead of its current handler (set
     * the proxy handler first). Call before the server starts.
     */
    public AdminServer install(Server server) {
      if (server.isStarted() || server.isStarting()) {
        throw new IllegalStateException("server: started (expected: install the admin endpoint before start)");
      }
      if (jvmMetrics) {
        ServerMetrics.registerJvm(metrics);
      }
      ServerConnector connector = new ServerConnector(server, 1, 1);
      connector.setName(CONNECTOR_NAME);
      connector.setHost(host);
      connector.setPort(port);
      server.addConnector(connector);

      ServletContextHandler context = newContext();
      Handler proxy = server.getHandler();
      // The admin context claims every request on the admin connector (AdminServlet is at /*),
      // and declines all others through its virtual host, so they fall through to the proxy.
      server.setHandler(proxy == null ? context : new Handler.Sequence(context, proxy));
      return new AdminServer(connector, context);
    }

    private ServletContextHandler newContext() {
      ServletContextHandler context = new ServletContextHandler("/");
      context.setDisplayName("gantry-admin");
      context.setVirtualHosts(List.of("@" + CONNECTOR_NAME));
      AdminGuard guard = new AdminGuard(allowFrom, user, password);
      if (guard.isActive()) {
        context.addFilter(new FilterHolder(guard), "/*", EnumSet.of(DispatcherType.REQUEST));
      }
      // The library's mount: /metrics, /metrics/prometheus, /healthcheck, /ping, /threads, and
      // Dropwizard's admin servlet at /*, which claims every other path on the admin connector.
      MetricsServlets.mount(context, metrics, healthChecks);
      context.addServlet(new ServletHolder("routes", new TextServlet(() -> new Text(200, routes.get()))), "/routes");
      context.addServlet(new ServletHolder("ready", new TextServlet(
          () -> ready.getAsBoolean() ? new Text(200, "ready") : new Text(503, "starting"))), "/ready");
      if (config != null) {
        ConfigServlet servlet = new ConfigServlet(config);
        context.addServlet(new ServletHolder("config", servlet), "/config");
        context.addServlet(new ServletHolder("config-reload", servlet), "/config/reload");
      }
      return context;
    }
  }

  private record Text(int status, String body) {}

  /** {@code GET /config} and {@code POST /config/reload}; other methods get 405. */
  private static final class ConfigServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private final transient ConfigEndpoint config;

    ConfigServlet(ConfigEndpoint config) {
      this.config = config;
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
      boolean reload = request.getServletPath().equals("/config/reload");
      String allowed = reload ? "POST" : "GET";
      if (!request.getMethod().equals(allowed)) {
        response.setHeader("Allow", allowed);
        response.sendError(405);
        return;
      }
      ConfigEndpoint.Reply reply = reload ? config.reloadReply() : new ConfigEndpoint.Reply(200, config.describe());
      response.setStatus(reply.status());
      response.setContentType("application/json");
      response.setCharacterEncoding("utf-8");
      response.setHeader("Cache-Control", "no-store");
      response.getWriter().write(reply.json() + "\n");
    }
  }

  /** Answers GET with a status and a text/plain body, not to be cached. */
  private static final class TextServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private final transient Supplier<Text> answer;

    TextServlet(Supplier<Text> answer) {
      this.answer = answer;
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
      Text reply = answer.get();
      String text = reply.body() == null ? "" : reply.body();
      response.setStatus(reply.status());
      response.setContentType("text/plain;charset=utf-8");
      response.setHeader("Cache-Control", "no-store");
      response.getWriter().write(text.endsWith("\n") || text.isEmpty() ? text : text + "\n");
    }
  }
}
