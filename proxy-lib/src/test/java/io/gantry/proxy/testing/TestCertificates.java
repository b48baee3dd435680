package io.gantry.proxy.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.io.InputStream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** A self-signed localhost certificate made once per test JVM with the JDK's keytool. */
public final class TestCertificates {
  public static final String PASSWORD = "changeit";
  private static Path keyStore;

  private TestCertificates() {}

  public static synchronized Path localhostKeyStore() throws Exception {
    if (keyStore == null) {
      Path dir = Files.createTempDirectory("gantry-certs");
      Path ks = dir.resolve("localhost.p12");
      String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
      Process p = new ProcessBuilder(keytool, "-genkeypair", "-alias", "localhost", "-keyalg", "EC",
          "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "2",
          "-keystore", ks.toString(), "-storetype", "PKCS12", "-storepass", PASSWORD, "-keypass", PASSWORD)
          .redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes());
      if (p.waitFor() != 0) {
        throw new IllegalStateException("keytool failed: " + out);
      }
      keyStore = ks;
      dir.toFile().deleteOnExit();
      ks.toFile().deleteOnExit();
    }
    return keyStore;
  }

  /** A trust store holding the localhost certificate. */
  public static KeyStore trustStore() throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(localhostKeyStore())) {
      ks.load(in, PASSWORD.toCharArray());
    }
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("localhost", ks.getCertificate("localhost"));
    return trust;
  }

  public static SSLContext clientContext() throws Exception {
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trustStore());
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }
}
