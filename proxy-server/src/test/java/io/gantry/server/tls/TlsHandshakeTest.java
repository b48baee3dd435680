package io.gantry.server.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gantry.server.tls.TestPki.Alg;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.X509ExtendedKeyManager;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import io.gantry.server.connector.Listeners;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Real handshakes against a real Jetty connector, checked from the client side. */
class TlsHandshakeTest {
  @TempDir Path dir;
  TestPki pki;
  Server server;
  GantrySslContextFactory sslFactory;
  int port;

  ServerCertificate registryRsa;
  ServerCertificate dockerEc;
  ServerCertificate mavenRsa;
  ServerCertificate wildcardEc;

  @BeforeEach
  void setUp() throws Exception {
    pki = new TestPki(dir);
    registryRsa = pki.load("registry", pki.leaf("registry.example.test", Alg.RSA));
    dockerEc = pki.load("docker", pki.leaf("docker.example.test", Alg.EC));
    mavenRsa = pki.load("maven", pki.leaf("maven.other.test", Alg.RSA));
    wildcardEc = pki.load("wildcard", pki.leaf("*.example.test", Alg.EC));
  }

  @AfterEach
  void tearDown() throws Exception {
    if (server != null) {
      server.stop();
    }
  }

  void start(CertificateStore store) throws Exception {
    server = new Server();
    sslFactory = SslContextFactories.server(store, TestTls.provider());
    HttpConfiguration https = new HttpConfiguration();
    https.addCustomizer(Listeners.secureRequestCustomizer(null, false));
    ServerConnector connector = new ServerConnector(server,
        new SslConnectionFactory(sslFactory, "http/1.1"), new HttpConnectionFactory(https));
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    server.addConnector(connector);
    server.setHandler(new Handler.Abstract() {
      @Override
      public boolean handle(Request request, Response response, Callback callback) {
        response.setStatus(200);
        Content.Sink.write(response, true, "ok " + Request.getServerName(request), callback);
        return true;
      }
    });
    server.start();
    port = connector.getLocalPort();
  }

  void startWithAll() throws Exception {
    start(CertificateStore.of(List.of(wildcardEc, registryRsa, dockerEc, mavenRsa),
        "registry.example.test"));
  }

  @Test
  void threeNamesOnOnePortEachGetTheirOwnCertificate() throws Exception {
    startWithAll();

    assertEquals("registry.example.test", san(handshake("registry.example.test")));
    assertEquals("docker.example.test", san(handshake("docker.example.test")));
    assertEquals("maven.other.test", san(handshake("maven.other.test")));
    assertEquals(registryRsa.leaf(), handshake("registry.example.test"));
  }

  @Test
  void nameWithoutItsOwnCertificateGetsTheWildcard() throws Exception {
    startWithAll();

    assertEquals("*.example.test", san(handshake("npm.example.test")));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
  void exactRsaBeatsEcWildcardAcrossKeyTypes(String protocol) throws Exception {
    // Jetty's default selection asks for EC first and would serve *.example.test here.
    start(CertificateStore.of(List.of(wildcardEc, registryRsa)));

    X509Certificate served = handshake("registry.example.test", protocol);
    assertEquals("registry.example.test", san(served));
    assertEquals("RSA", served.getPublicKey().getAlgorithm());
    assertEquals("*.example.test", san(handshake("docker.example.test", protocol)));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
  void handshakesSignAndAgreeKeysWithBouncyCastleOnTheJdk(String protocol) throws Exception {
    start(CertificateStore.of(List.of(dockerEc, registryRsa), "docker.example.test"));
    String crypto = HandshakeCrypto.prepare(); // what the server does once its listeners are up
    assertEquals("ECDSA signatures and X25519 by BouncyCastle", crypto);

    // The client verifies the server's signature with the certificate: a wrong one fails here.
    assertEquals("docker.example.test", san(handshake("docker.example.test", protocol)));
    assertEquals("registry.example.test", san(handshake("registry.example.test", protocol)));
    PrivateKey served = ((X509ExtendedKeyManager) sslFactory.getKeyManagers(sslFactory.getKeyStore())[0])
        .getPrivateKey(dockerEc.alias());
    assertEquals(!sslFactory.provider().isConscrypt(), served instanceof EcdsaSigning.SigningKey,
        "JSSE signs with gantry's ECDSA, Conscrypt in BoringSSL: " + served);
  }

  @Test
  void wildcardServesNeitherTheBareDomainNorTwoLabelsDeep() throws Exception {
    start(CertificateStore.of(List.of(mavenRsa, wildcardEc)));

    assertEquals("maven.other.test", san(handshake("example.test")), "default, not wildcard");
    assertEquals("maven.other.test", san(handshake("a.b.example.test")), "default, not wildcard");
  }

  @Test
  void withoutSniTheDefaultCertificate() throws Exception {
    startWithAll();

    assertEquals("registry.example.test", san(handshake(null)));
    assertEquals("registry.example.test", san(handshake("unknown.invalid")));
  }

  @Test
  void defaultCanBeAnEcCertificateAmongRsaOnes() throws Exception {
    start(CertificateStore.of(List.of(registryRsa, dockerEc, mavenRsa), "docker.example.test"));

    assertEquals("docker.example.test", san(handshake(null)));
  }

  @Test
  void tls11IsRefusedAndOnlyTls12And13AreEnabled() throws Exception {
    startWithAll();
    assertArrayEquals(new String[] {"TLSv1.3", "TLSv1.2"}, sslFactory.getSelectedProtocols());

    // A hand-written ClientHello: the JDK client would refuse to even send TLS 1.1.
    assertEquals(0x16, firstRecordType(rawClientHello(0x0303, 0x0301)),
        "control: the same hello as TLS 1.2 gets a ServerHello");
    assertEquals(0x15, firstRecordType(rawClientHello(0x0302, 0x0301)),
        "TLS 1.1 hello gets an alert");
  }

  @Test
  void jdkClientLimitedToOldProtocolsFails() throws Exception {
    startWithAll();
    assertThrows(IOException.class, () -> handshake("registry.example.test", "TLSv1.1"));
  }

  @Test
  void hostHeaderIsNotCheckedAgainstTheCertificateHere() throws Exception {
    // Jetty's SNI host check would answer 400; gantry checks SNI == Host elsewhere (421).
    startWithAll();

    String response = get("docker.example.test", "maven.other.test");

    assertTrue(response.startsWith("HTTP/1.1 200"), response);
    assertTrue(response.endsWith("ok maven.other.test"), response);
    assertTrue(get(null, "registry.example.test").startsWith("HTTP/1.1 200"), "no SNI is fine");
  }

  @Test
  void reloadSwapsCertificatesOnTheRunningListener() throws Exception {
    start(CertificateStore.of(List.of(registryRsa)));
    assertEquals("registry.example.test", san(handshake("docker.example.test")));

    sslFactory.reload(CertificateStore.of(List.of(registryRsa, dockerEc, wildcardEc)));

    assertEquals("docker.example.test", san(handshake("docker.example.test")));
    assertEquals("*.example.test", san(handshake("npm.example.test")));
    assertEquals(3, sslFactory.certificateStore().certificates().size());

    ServerCertificate renewed = pki.load("registry2", pki.leaf("registry.example.test", Alg.EC));
    sslFactory.reload(CertificateStore.of(List.of(renewed)));
    assertEquals(renewed.leaf(), handshake("registry.example.test"));
    assertEquals(renewed.leaf(), handshake("docker.example.test"));
  }

  @Test
  void singleCertificateWithOneNameIsServedForEveryName() throws Exception {
    start(CertificateStore.of(List.of(dockerEc)));

    assertEquals("docker.example.test", san(handshake("docker.example.test")));
    assertEquals("docker.example.test", san(handshake("other.test")));
    assertEquals("docker.example.test", san(handshake(null)));
  }

  @Test
  void leafWithKeyCertSignUsageIsServed() throws Exception {
    // Jetty leaves such certificates out of its SNI map; gantry's selection does not.
    Instant now = Instant.now();
    ServerCertificate signing = pki.load("signing", pki.leaf("CN=signing.example.test",
        "signing.example.test", Alg.EC, now.minus(1, ChronoUnit.DAYS),
        now.plus(30, ChronoUnit.DAYS), true));
    start(CertificateStore.of(List.of(registryRsa, signing)));

    assertEquals(signing.leaf(), handshake("signing.example.test"));
    assertEquals(registryRsa.leaf(), handshake(null));
  }

  // ---------------------------------------------------------------- client side

  X509Certificate handshake(String sni, String... protocols) throws Exception {
    try (SSLSocket socket = connect(sni, protocols)) {
      socket.startHandshake();
      return (X509Certificate) socket.getSession().getPeerCertificates()[0];
    }
  }

  SSLSocket connect(String sni, String... protocols) throws Exception {
    SSLSocket socket = (SSLSocket) pki.clientContext().getSocketFactory()
        .createSocket(InetAddress.getByName("127.0.0.1"), port);
    socket.setSoTimeout(10_000);
    SSLParameters parameters = socket.getSSLParameters();
    parameters.setServerNames(sni == null ? List.of() : List.of(new SNIHostName(sni)));
    if (protocols.length > 0) {
      parameters.setProtocols(protocols);
    }
    socket.setSSLParameters(parameters);
    return socket;
  }

  String get(String sni, String host) throws Exception {
    try (SSLSocket socket = connect(sni)) {
      OutputStream out = socket.getOutputStream();
      out.write(("GET / HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      return new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
    }
  }

  static String san(X509Certificate certificate) {
    return CertificateInfo.hostNames(certificate).get(0);
  }

  /** Sends the hello on a plain socket, answers the type of the first record back (-1: closed). */
  Integer firstRecordType(byte[] hello) throws IOException {
    try (Socket socket = new Socket(InetAddress.getByName("127.0.0.1"), port)) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(hello);
      socket.getOutputStream().flush();
      InputStream in = socket.getInputStream();
      int type = in.read();
      if (type == 0x15) {
        DataInputStream data = new DataInputStream(in);
        data.readShort(); // record version
        data.readShort(); // length
        int level = data.read();
        int description = data.read();
        assertEquals(2, level, "fatal alert");
        assertEquals(70, description, "protocol_version alert (RFC 5246 7.2.2)");
      }
      return type;
    }
  }

  /** A minimal ClientHello offering ECDHE suites, P-256/X25519 and common signatures. */
  static byte[] rawClientHello(int clientVersion, int recordVersion) throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.write(clientVersion >> 8);
    body.write(clientVersion);
    byte[] random = new byte[32];
    new SecureRandom().nextBytes(random);
    body.write(random);
    body.write(0); // no session id
    int[] suites = {0xc02b, 0xc02f, 0xc009, 0xc013, 0xc00a, 0xc014};
    u16(body, suites.length * 2);
    for (int s : suites) {
      u16(body, s);
    }
    body.write(1); // compression methods
    body.write(0);
    ByteArrayOutputStream ext = new ByteArrayOutputStream();
    extension(ext, 0x000a, new int[] {0x0004, 0x0017, 0x001d}); // supported_groups
    u16(ext, 0x000b); // ec_point_formats: uncompressed
    u16(ext, 2);
    ext.write(1);
    ext.write(0);
    extension(ext, 0x000d, new int[] {0x0008, 0x0403, 0x0804, 0x0401, 0x0201}); // sig algs
    u16(body, ext.size());
    ext.writeTo(body);

    ByteArrayOutputStream record = new ByteArrayOutputStream();
    record.write(0x16);
    u16(record, recordVersion);
    u16(record, body.size() + 4);
    record.write(0x01); // ClientHello
    record.write(0);
    u16(record, body.size());
    body.writeTo(record);
    return record.toByteArray();
  }

  private static void extension(ByteArrayOutputStream out, int type, int[] u16s) {
    u16(out, type);
    u16(out, u16s.length * 2);
    for (int v : u16s) {
      u16(out, v);
    }
  }

  private static void u16(ByteArrayOutputStream out, int v) {
    out.write(v >> 8);
    out.write(v);
  }
}
