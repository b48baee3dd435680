package io.gantry.server.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The {@code gantry.tls} block: server certificates for every TLS listener.
 *
 * @param certificates the certificates, selected per SNI host name from their SANs
 * @param defaultCertificate the host name whose certificate clients without SNI get, or {@code null}
 *     for the first certificate's
 * @param selfSigned generate a self-signed certificate at first start, or {@code null}; only used
 *     when {@code certificates} is empty
 * @param provider whose TLS implementation the listeners use
 */
public record TlsConfig(List<CertificateConfig> certificates, String defaultCertificate, SelfSigned selfSigned,
    Provider provider) {

  public TlsConfig {
    certificates = List.copyOf(certificates);
    Objects.requireNonNull(provider, "provider");
  }

  /** The TLS block with the default provider. */
  public TlsConfig(List<CertificateConfig> certificates, String defaultCertificate, SelfSigned selfSigned) {
    this(certificates, defaultCertificate, selfSigned, Provider.JDK);
  }

  /** The {@code provider} key: which implementation of TLS serves the listeners. */
  public enum Provider {
    /** Conscrypt where its native library loads on this platform, else the JDK's. */
    AUTO,
    /** Conscrypt (BoringSSL); gantry does not start where it cannot load. */
    CONSCRYPT,
    /** The JDK's own JSSE. */
    JDK;

    /** As written in a configuration file. */
    public String key() {
      return name().toLowerCase(Locale.ROOT);
    }
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
