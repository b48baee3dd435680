package io.gantry.server.tls;

import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSocket;
import org.conscrypt.ApplicationProtocolSelector;
import org.conscrypt.Conscrypt;
import org.eclipse.jetty.alpn.server.ALPNServerConnection;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.ssl.ALPNProcessor;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.eclipse.jetty.io.ssl.SslHandshakeListener;

/**
 * ALPN (RFC 7301) for listeners on Conscrypt, found by Jetty's {@code ALPNServerConnectionFactory}
 * through {@code META-INF/services}. The JDK's processor ({@code jetty-alpn-java-server}) only
 * takes engines of {@code java.base}, and Jetty's own Conscrypt processor is not available here.
 *
 * <p>Jetty's {@link ALPNServerConnection} decides, as on the JDK: the listener's first protocol
 * the client offers (h2 before http/1.1) and whose cipher HTTP/2 accepts; a client that sends no
 * ALPN extension gets the default protocol (HTTP/1.1); one that offers only protocols the
 * listener does not speak is closed after the handshake (on the JDK: a fatal alert in it).
 */
public final class ConscryptAlpnProcessor implements ALPNProcessor.Server {

  /**
   * Nothing to load: whether Conscrypt is used is {@link TlsProvider}'s decision, and this
   * processor is only asked about engines that Conscrypt made.
   */
  @Override
  public void init() {}

  @Override
  public boolean appliesTo(SSLEngine engine) {
    // By name, so that a JDK engine never loads a Conscrypt class (nor its native library).
    return engine.getClass().getName().startsWith("org.conscrypt.");
  }

  @Override
  public void configure(SSLEngine engine, Connection connection) {
    Conscrypt.setApplicationProtocolSelector(engine, new Selector((ALPNServerConnection) connection));
  }

  /** Called by BoringSSL while it reads the ClientHello, only when the client offered ALPN. */
  private static final class Selector extends ApplicationProtocolSelector implements SslHandshakeListener {
    private final ALPNServerConnection alpn;
    private volatile boolean refused;

    Selector(ALPNServerConnection alpn) {
      this.alpn = alpn;
      ((SslConnection.SslEndPoint) alpn.getEndPoint()).getSslConnection().addHandshakeListener(this);
    }

    @Override
    public String selectApplicationProtocol(SSLEngine engine, List<String> protocols) {
      try {
        alpn.select(protocols);
        return alpn.getProtocol();
      } catch (IllegalStateException e) {
        // None of the client's protocols is the listener's. JSSE answers no_application_protocol
        // (RFC 7301 3.2); Conscrypt has no way to send that alert (an exception thrown here
        // confirmed the client's own protocol), so the handshake ends without ALPN and the
        // connection is closed right after it.
        refused = true;
        return null;
      }
    }

    @Override
    public String selectApplicationProtocol(SSLSocket socket, List<String> protocols) {
      throw new UnsupportedOperationException("Jetty's listeners use SSLEngine, not SSLSocket");
    }

    @Override
    public void handshakeSucceeded(Event event) {
      if (refused) {
        alpn.getEndPoint().close();
      } else if (alpn.getProtocol() == null) {
        // No ALPN extension in the ClientHello: the selector was never called.
        alpn.unsupported();
      }
    }
  }
}
