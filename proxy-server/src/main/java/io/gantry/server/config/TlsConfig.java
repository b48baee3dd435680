package io.gantry.server.config;

import java.nio.file.Path;
import java.util.List;

/**
 * The {@code gantry.tls} block: server certificates for every TLS listener.
 *
 * @param certificates the certificates, selected per SNI host name from their SANs
 * @param defaultCertificate the host name whose certificate clients without SNI get, or {@code null}
 *     for the first certificate's
 * @param selfSigned generate a self-signed certificate at first start, or {@code null}; only used
 *     when {@code certificates} is empty
 */
public record TlsConfig(List<CertificateConfig> certificates, String defaultCertificate, SelfSigned selfSigned) {

  public TlsConfig {
    certificates = List.copyOf(certificates);
  }

  /** Whether a certificate is available, configured or generated. */
  public boolean hasCertificates() {
    return !certificates.isEmpty() || selfSigned != null;
  }

  /**
   * A self-signed certificate generated at first start (and kept for later starts).
   *
   * @param hosts the host names it is issued for
   * @param dir the absolute directory it is written to
   */
  public record SelfSigned(List<String> hosts, Path dir) {
    public SelfSigned {
      hosts = List.copyOf(hosts);
    }
  }
}
