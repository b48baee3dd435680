package io.gantry.proxy.testing;

import io.gantry.proxy.RoutingProxyServlet;
import java.util.Map;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * A Jetty server on ephemeral ports serving a {@link RoutingProxyServlet}: one plain connector
 * named {@code plain} and, on request, a TLS connector named {@code tls} with a self-signed
 * certificate for localhost.
 */
public final class Proxy implements AutoCloseable {
  private final Server server;
  private final ServerConnector plain;
  private final ServerConnector tls;
  private final RoutingProxyServlet servlet;

  public Proxy(RoutingProxyServlet servlet) throws Exception {
    this(servlet, false, Map.of());
  }

  public Proxy(RoutingProxyServlet servlet, boolean withTls, Map<String, String> initParameters) throws Exception {
    this.servlet = servlet;
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
    ServletContextHandler context = new ServletContextHandler("/");
    context.getServletHandler().setDecodeAmbiguousURIs(true);
    ServletHolder holder = servlet.toHolder();
    initParameters.forEach(holder::setInitParameter);
    context.addServlet(holder, "/*");
    server.setHandler(context);
    server.start();
  }

  public int port() {
    return plain.getLocalPort();
  }

  public int tlsPort() {
    return tls.getLocalPort();
  }

  public String url(String path) {
    return "http://127.0.0.1:" + port() + path;
  }

  public RoutingProxyServlet servlet() {
    return servlet;
  }

  @Override
  public void close() throws Exception {
    server.stop();
    server.join();
  }
}
