package io.gantry.server.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.gantry.server.config.TlsConfig;
import io.gantry.server.connector.Listeners;
import io.gantry.server.tls.TestPki.Alg;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.http2.client.HTTP2Client;
import org.eclipse.jetty.http2.client.transport.HttpClientTransportOverHTTP2;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A listener built as gantry builds it ({@link Listeners}, h2 and http/1.1 by ALPN) with
 * {@code tls.provider = conscrypt}: the handshakes really run on Conscrypt, h2 is negotiated
 * through {@link ConscryptAlpnProcessor}, SNI picks certificates and reaches the request, and a
 * closed connection gives its native state back at once. Skipped where Conscrypt cannot load.
 */
class ConscryptListenerTest {
  @TempDir Path dir;
  TestPki pki;
  Server server;
  GantrySslContextFactory ssl;
  HttpClient client;
  int port;

  @BeforeEach
  void setUp() throws Exception {
    TlsProvider conscrypt = TlsProvider.select(TlsConfig.Provider.AUTO);
    boolean bundledForThisPlatform = System.getProperty("os.name").startsWith("Linux")
        && List.of("amd64", "x86_64").contains(System.getProperty("os.arch"));
    if (bundledForThisPlatform) {
      assertTrue(conscrypt.isConscrypt(), "Conscrypt's jar has a library for x86_64 Linux: " + conscrypt);
    }
    assumeTrue(conscrypt.isConscrypt(), "Conscrypt does not load here: " + conscrypt);
    pki = new TestPki(dir);
    CertificateStore store = CertificateStore.of(List.of(
        pki.load("registry", pki.leaf("registry.example.test", Alg.EC)),
        pki.load("maven", pki.leaf("maven.example.test", Alg.RSA))), "registry.example.test");
    ssl = SslContextFactories.server(store, TlsProvider.select(TlsConfig.Provider.CONSCRYPT));
    server = new Server();
    ServerConnector connector = Listeners.create(server, new Listeners.Spec("tls", "127.0.0.1", 0, ssl, true,
        null, false, Duration.ofSeconds(30)), (factory, name) -> factory);
    server.addConnector(connector);
    server.setHandler(new Handler.Abstract() {
      @Override
      public boolean handle(Request request, Response response, Callback callback) {
        // What the request sees of its connection: the engine, the protocol, the SNI name.
        EndPoint endPoint = request.getConnectionMetaData().getConnection().getEndPoint();
        SSLSession session = ((EndPoint.SslSessionData) request.getAttribute(EndPoint.SslSessionData.ATTRIBUTE)).sslSession();
        String engine = ((SslConnection.SslEndPoint) endPoint).getSslConnection().getSSLEngine().getClass().getName();
        List<SNIServerName> names = ((ExtendedSSLSession) session).getRequestedServerNames();
        String sni = names.isEmpty() ? "-" : ((SNIHostName) names.get(0)).getAsciiName();
        Content.Sink.write(response, true,
            engine + " " + request.getConnectionMetaData().getProtocol() + " " + sni, callback);
        return true;
      }
    });
    server.start();
    port = connector.getLocalPort();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (client != null) {
      client.stop();
    }
    if (server != null) {
      server.stop();
    }
  }

  @Test
  void http2IsNegotiatedByAlpnOnAConscryptEngine() throws Exception {
    ClientConnector connector = new ClientConnector();
    SslContextFactory.Client clientSsl = new SslContextFactory.Client();
    clientSsl.setSslContext(pki.clientContext());
    connector.setSslContextFactory(clientSsl);
    client = new HttpClient(new HttpClientTransportOverHTTP2(new HTTP2Client(connector)));
    client.setSocketAddressResolver((host, p, context, promise) -> {
      try {
        promise.succeeded(List.of(new InetSocketAddress(InetAddress.getByAddress(host, new byte[] {127, 0, 0, 1}), p)));
      } catch (java.net.UnknownHostException e) {
        promise.failed(e);
      }
    });
    client.start();

    ContentResponse response = client.GET("https://maven.example.test:" + port + "/");

    assertEquals(HttpVersion.HTTP_2, response.getVersion());
    String[] seen = response.getContentAsString().split(" ");
    assertTrue(seen[0].startsWith("org.conscrypt."), seen[0]);
    assertEquals("HTTP/2.0", seen[1]);
    assertEquals("maven.example.test", seen[2]);
  }

  @Test
  void eachNameGetsItsOwnCertificateAndReachesTheRequest() throws Exception {
    assertEquals("CN=registry.example.test", get("registry.example.test", "http/1.1")[0]);
    assertEquals("CN=maven.example.test", get("maven.example.test", "http/1.1")[0]);
    // No SNI: the default certificate, and nothing for the SNI/Host check to compare.
    String[] noSni = get(null, "http/1.1");
    assertEquals("CN=registry.example.test", noSni[0]);
    assertEquals("-", noSni[4]);
  }

  @Test
  void clientsWithoutAlpnOrWithOnlyHttp11GetHttp11() throws Exception {
    String[] alpn = get("registry.example.test", "http/1.1");
    assertEquals("http/1.1", alpn[1]);
    assertTrue(alpn[2].startsWith("org.conscrypt."), alpn[2]);
    String[] none = get("registry.example.test");
    assertEquals("", none[1]);
    assertEquals("registry.example.test", none[4]);
  }

  @Test
  void aClientOfferingNoProtocolOfTheListenerIsClosed() throws Exception {
    try (SSLSocket socket = connect("registry.example.test", "spdy/3")) {
      socket.startHandshake();
      socket.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      assertEquals(-1, socket.getInputStream().read());
    } catch (java.io.IOException expected) {
      // closed during or right after the handshake
    }
  }

  @Test
  void renewedCertificatesServeTheNextHandshake() throws Exception {
    ssl.reload(CertificateStore.of(List.of(pki.load("renewed", pki.leaf("registry.example.test", Alg.RSA))), null));
    X509Certificate served;
    try (SSLSocket socket = connect("registry.example.test")) {
      socket.startHandshake();
      served = (X509Certificate) socket.getSession().getPeerCertificates()[0];
    }
    assertEquals("RSA", served.getPublicKey().getAlgorithm());
  }

  @Test
  void closedConnectionsKeepNoDescriptors() throws Exception {
    Path fds = Path.of("/proc/self/fd");
    assumeTrue(Files.isDirectory(fds), "no /proc here");
    get("registry.example.test", "http/1.1"); // warm: the pools and the first connection's own
    long before;
    try (var list = Files.list(fds)) {
      before = list.count();
    }
    for (int i = 0; i < 100; i++) {
      get("registry.example.test", "http/1.1");
    }
    Thread.sleep(200); // the server side closes after the client
    long after;
    try (var list = Files.list(fds)) {
      after = list.count();
    }
    // Each Conscrypt engine holds a pipe (two descriptors) until it is freed.
    assertTrue(after - before < 40, "descriptors " + before + " -> " + after);
  }

  /** One request on a new connection: {subject, ALPN protocol, engine, protocol, SNI seen}. */
  private String[] get(String sni, String... alpn) throws Exception {
    try (SSLSocket socket = connect(sni, alpn)) {
      socket.startHandshake();
      OutputStream out = socket.getOutputStream();
      out.write(("GET / HTTP/1.1\r\nHost: registry.example.test\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
      String line;
      String last = null;
      while ((line = in.readLine()) != null) {
        last = line;
      }
      String subject = ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSubjectX500Principal().getName();
      String[] seen = last.split(" ");
      return new String[] {subject, socket.getApplicationProtocol(), seen[0], seen[1], seen[2]};
    }
  }

  private SSLSocket connect(String sni, String... alpn) throws Exception {
    SSLSocket socket = (SSLSocket) pki.clientContext().getSocketFactory().createSocket(InetAddress.getByName("127.0.0.1"), port);
    socket.setSoTimeout(10_000);
    SSLParameters parameters = socket.getSSLParameters();
    parameters.setServerNames(sni == null ? List.of() : List.of(new SNIHostName(sni)));
    parameters.setApplicationProtocols(alpn);
    socket.setSSLParameters(parameters);
    return socket;
  }

}
