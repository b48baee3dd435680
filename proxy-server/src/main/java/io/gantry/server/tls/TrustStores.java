package io.gantry.server.tls;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;

/**
 * Trust stores for gantry's own TLS connections to upstreams: the CA certificates an upstream's
 * certificate must chain to, in place of the JDK's.
 *
 * <pre>{@code
 * KeyStore cas = TrustStores.fromPem(Path.of("/etc/gantry/ca.pem"));
 * Upstream nexus = Upstream.builder("https://nexus.internal/").trustStore(cas).build();
 * }</pre>
 */
public final class TrustStores {
  private static final String EXPECTED = " (expected: PEM CA certificates, -----BEGIN CERTIFICATE-----)";

  private TrustStores() {}

  /**
   * A trust store of every X.509 certificate in a PEM file.
   *
   * @throws CertificateLoadException naming the file, when it cannot be read or holds no certificate
   */
  public static KeyStore fromPem(Path caFile) {
    try (InputStream in = Files.newInputStream(caFile)) {
      Collection<? extends Certificate> certificates = CertificateFactory.getInstance("X.509").generateCertificates(in);
      if (certificates.isEmpty()) {
        throw new CertificateLoadException(caFile, "no certificate" + EXPECTED);
      }
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      int i = 0;
      for (Certificate c : certificates) {
        store.setCertificateEntry("ca-" + i++, c);
      }
      return store;
    } catch (IOException | GeneralSecurityException e) {
      throw new CertificateLoadException(caFile, "cannot read CA certificates: " + e.getMessage() + EXPECTED, e);
    }
  }
}
