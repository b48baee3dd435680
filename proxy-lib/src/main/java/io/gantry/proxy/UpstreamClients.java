package io.gantry.proxy;

import io.gantry.proxy.upstream.Upstream;
import java.security.KeyStore;
import java.time.Duration;
import java.util.concurrent.Executor;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * How both engines make the HTTP clients they reach upstreams with: one client per distinct
 * {@link Key}, configured alike.
 */
final class UpstreamClients {
  /** The request body read size, and so the upload write size; 4 KiB made uploads 4x slower. */
  static final int REQUEST_BUFFER = 64 * 1024;
  /**
   * The read size of response bodies, and so the write size towards the client: 32 KiB moved 1 GiB
   * with 0.41 s of CPU against 0.47 s with 64 KiB and 0.8+ s with 16 KiB (perf A/B).
   */
  static final int RESPONSE_BUFFER = 32 * 1024;

  private UpstreamClients() {}

  /**
   * The upstream settings that need an HTTP client of their own; everything else is set per
   * request. Plain-HTTP upstreams get a client without TLS: starting Jetty's client TLS factory
   * parses the JDK's ~140 CA certificates, a measurable part of a one-core start, for a client that
   * never uses them (docs/performance.md).
   */
  record Key(Duration connectTimeout, KeyStore trustStore, boolean tls, int maxConnections) {
    static Key of(Upstream upstream, ProxySettings settings) {
      return new Key(upstream.connectTimeout(), upstream.trustStore(), "https".equals(upstream.scheme()),
          upstream.maxConnections() > 0 ? upstream.maxConnections() : settings.maxConnectionsPerUpstream());
    }
  }

  /** A connector with one selector, on {@code executor} (the server's pool: no second pool of threads). */
  static ClientConnector connector(Key key, Executor executor) {
    ClientConnector connector = new ClientConnector();
    connector.setSelectors(1);
    if (executor != null) {
      connector.setExecutor(executor);
    }
    SslContextFactory.Client tls = new SslContextFactory.Client();
    tls.setEndpointIdentificationAlgorithm("HTTPS"); // verify the upstream's name, always
    if (key.trustStore() != null) {
      tls.setTrustStore(key.trustStore());
    }
    connector.setSslContextFactory(tls);
    if (!key.tls()) {
      connector.unmanage(tls); // never started, so never loads a trust store
    }
    return connector;
  }

  /** The settings every upstream client has, before it starts. */
  static void configure(HttpClient client, Key key, ProxySettings settings) {
    client.setConnectTimeout(key.connectTimeout().toMillis());
    client.setIdleTimeout(Upstream.DEFAULT_IDLE_TIMEOUT.toMillis()); // per request: the upstream's own
    client.setMaxConnectionsPerDestination(key.maxConnections()); // per instance: Jetty's destination is host:port
    client.setMaxRequestsQueuedPerDestination(settings.maxQueuedPerUpstream());
    client.setUserAgentField(null); // never add a User-Agent the client did not send
    client.setRequestBufferSize(REQUEST_BUFFER);
    client.setResponseBufferSize(RESPONSE_BUFFER);
  }
}
