package io.gantry.server.tls;

import javax.net.ssl.SSLEngine;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * Jetty's {@link SslConnectionFactory} for gantry's listeners: on Conscrypt, connections that
 * keep no TLS buffer of their own while idle ({@link ConscryptSslConnection}); on the JDK,
 * Jetty's.
 *
 * <pre>{@code
 * new ServerConnector(server, new TlsConnectionFactory(ssl, "alpn"), alpn, h2, h1);
 * }</pre>
 */
public final class TlsConnectionFactory extends SslConnectionFactory {

  public TlsConnectionFactory(GantrySslContextFactory ssl, String nextProtocol) {
    super(ssl, nextProtocol);
    if (ssl.provider().isConscrypt()) {
      // BoringSSL reads and writes native memory: direct buffers spare Conscrypt a copy each
      // way. Jetty takes them from its pool and gives them back while the connection is idle.
      setDirectBuffersForEncryption(true);
      setDirectBuffersForDecryption(true);
    }
  }

  @Override
  protected SslConnection newSslConnection(Connector connector, EndPoint endPoint, SSLEngine engine) {
    if (!ConscryptSslConnection.isConscrypt(engine)) {
      return super.newSslConnection(connector, endPoint, engine);
    }
    SslContextFactory ssl = getSslContextFactory();
    return new ConscryptSslConnection(connector.getByteBufferPool(), connector.getExecutor(), ssl, endPoint, engine,
        isDirectBuffersForEncryption(), isDirectBuffersForDecryption());
  }
}
