package io.gantry.proxy.testing;

import io.gantry.proxy.ProxyBuilder;
import io.gantry.proxy.RoutingProxyHandler;
import io.gantry.proxy.RoutingProxyServlet;
import io.gantry.proxy.route.RouteTable;
import java.util.function.Consumer;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * A Jetty server on ephemeral ports serving the routing proxy on one of its two {@link Engine}s:
 * one plain connector named {@code plain} and, on request, a TLS connector named {@code tls} with
 * a self-signed certificate for localhost.
 */
public final class Proxy implements AutoCloseable {
  /** The two implementations of the proxy; every end-to-end test runs against both. */
  public enum Engine {
    HANDLER, SERVLET
  }

  private final Server server;
  private final ServerConnector plain;
  private final ServerConnector tls;
  private final RoutingProxyHandler handler;
  private final RoutingProxyServlet servlet;

  public Proxy(Engine engine, Consumer<ProxyBuilder<?, ?>> settings) throws Exception {
    this(engine, settings, false);
  }

  public Proxy(Engine engine, Consumer<ProxyBuilder<?, ?>> settings, boolean withTls) throws Exception {
    server = new Server();
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    // The servlet's own normaliser is what is under test, not Jetty's URI compliance.
    http.setUriCompliance(UriCompliance.UNSAFE);
    HttpConnectionFactory h1 = new HttpConnectionFactory(http);
    h1.setInputBufferSize(65536);
    plain = new ServerConnector(server, h1);
    plain.setName("plain");
    plain.setHost("127.0.0.1");
    server.addConnector(plain);
    if (withTls) {
      SslContextFactory.Server ssl = new SslContextFactory.Server();
      ssl.setKeyStorePath(TestCertificates.localhostKeyStore().toString());
      ssl.setKeyStorePassword(TestCertificates.PASSWORD);
      ssl.setKeyStoreType("PKCS12");
      HttpConfiguration https = new HttpConfiguration(http);
      https.addCustomizer(new SecureRequestCustomizer(false));
      tls = new ServerConnector(server, new SslConnectionFactory(ssl, "http/1.1"), new HttpConnectionFactory(https));
      tls.setName("tls");
      tls.setHost("127.0.0.1");
      server.addConnector(tls);
    } else {
      tls = null;
    }
    if (engine == Engine.HANDLER) {
      RoutingProxyHandler.Builder builder = RoutingProxyHandler.builder();
      settings.accept(builder);
      handler = builder.build();
      servlet = null;
      server.setHandler(handler);
    } else {
      RoutingProxyServlet.Builder builder = RoutingProxyServlet.builder();
      settings.accept(builder);
      servlet = builder.build();
      handler = null;
      ServletContextHandler context = new ServletContextHandler("/");
      context.getServletHandler().setDecodeAmbiguousURIs(true);
      context.addServlet(servlet.toHolder(), "/*");
      server.setHandler(context);
    }
    server.start();
  }

  public int port() {
    return plain.getLocalPort();
  }

  public int tlsPort() {
    return tls.getLocalPort();
  }

  /** How long a client connection may sit without a byte moving, for connections opened from now on. */
  public void clientIdleTimeout(java.time.Duration timeout) {
    plain.setIdleTimeout(timeout.toMillis());
    if (tls != null) {
      tls.setIdleTimeout(timeout.toMillis());
    }
  }

  public String url(String path) {
    return "http://127.0.0.1:" + port() + path;
  }

  public RouteTable routes() {
    return handler != null ? handler.routes() : servlet.routes();
  }

  public void setRoutes(RouteTable routes) {
    if (handler != null) {
      handler.setRoutes(routes);
    } else {
      servlet.setRoutes(routes);
    }
  }

  public java.util.List<io.gantry.proxy.upstream.InstanceStatus> instances(io.gantry.proxy.upstream.Upstream upstream) {
    return handler != null ? handler.instances(upstream) : servlet.instances(upstream);
  }

  public int upstreamClients() {
    return handler != null ? handler.upstreamClients() : servlet.upstreamClients();
  }

  @Override
  public void close() throws Exception {
    server.stop();
    server.join();
  }
}
