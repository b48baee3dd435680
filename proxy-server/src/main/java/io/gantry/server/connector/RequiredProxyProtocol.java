package io.gantry.server.connector;

import io.gantry.proxy.header.ForwardedHeaders;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.List;
import org.eclipse.jetty.io.AbstractConnection;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.ProxyConnectionFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Jetty's {@link ProxyConnectionFactory} (PROXY protocol v1 and v2) made mandatory: Jetty's
 * factory is a detector that hands a connection whose first bytes are not a PROXY header to the
 * next protocol as if it had none, so a client that reaches the port directly would be taken at
 * its word. Here such a connection is closed before any byte is parsed as HTTP or TLS, and so is
 * one from a peer outside {@code from} (when given: the load balancers' addresses).
 *
 * <pre>{@code
 * new ServerConnector(server, new RequiredProxyProtocol(ssl.getProtocol(), List.of("10.0.0.0/8"), refused::mark), ssl, h1);
 * }</pre>
 */
final class RequiredProxyProtocol extends ProxyConnectionFactory {
  private static final Logger LOG = LoggerFactory.getLogger(RequiredProxyProtocol.class);

  /** Peers allowed to connect; {@code null}: any. */
  private final ForwardedHeaders from;
  private final Runnable refused;

  /**
   * @param nextProtocol the protocol the connection continues with after the header
   * @param from addresses or CIDRs that may connect; empty: any peer
   * @param refused told of each connection closed here (for metrics)
   */
  RequiredProxyProtocol(String nextProtocol, List<String> from, Runnable refused) {
    super(nextProtocol);
    this.from = from.isEmpty() ? null : ForwardedHeaders.trusting(from);
    this.refused = refused;
  }

  @Override
  public Connection newConnection(Connector connector, EndPoint endPoint) {
    if (from != null) {
      String peer = address(endPoint.getRemoteSocketAddress());
      if (!from.isTrusted(peer)) {
        LOG.debug("closing a connection from {}: not in proxy-protocol-from", peer);
        refused.run();
        return new Closing(endPoint, connector);
      }
    }
    return super.newConnection(connector, endPoint);
  }

  /** No PROXY header: Jetty would carry on with the next protocol; gantry closes the connection. */
  @Override
  protected void nextProtocol(Connector connector, EndPoint endPoint, ByteBuffer buffer) {
    LOG.debug("closing a connection from {}: no PROXY protocol header", endPoint.getRemoteSocketAddress());
    refused.run();
    endPoint.close();
  }

  private static String address(SocketAddress address) {
    return address instanceof InetSocketAddress inet && inet.getAddress() != null
        ? inet.getAddress().getHostAddress() : null;
  }

  /** Closes its connection as soon as it opens. */
  private static final class Closing extends AbstractConnection {
    Closing(EndPoint endPoint, Connector connector) {
      super(endPoint, connector.getExecutor());
    }

    @Override
    public void onOpen() {
      super.onOpen();
      getEndPoint().close();
    }

    @Override
    public void onFillable() {
      getEndPoint().close();
    }
  }
}
