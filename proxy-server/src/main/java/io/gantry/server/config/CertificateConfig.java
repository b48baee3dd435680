package io.gantry.server.config;

import java.nio.file.Path;

/**
 * One server certificate, from an element of {@code gantry.tls.certificates}: either a PEM
 * certificate chain and key, or a PKCS#12 / JKS keystore. Paths are absolute (relative ones are
 * resolved against the configuration file's directory). The host names a certificate serves come
 * from its subject alternative names, read by the TLS code.
 *
 * @param cert PEM certificate chain, or {@code null} for a keystore
 * @param key PEM private key, or {@code null} for a keystore
 * @param keystore the keystore file, or {@code null} for PEM files
 * @param password the keystore password, or {@code null} for none
 * @param file the file the certificate is declared in
 * @param line the line it is declared on
 */
public record CertificateConfig(Path cert, Path key, Path keystore, String password, String file, int line) {

  public static CertificateConfig pem(Path cert, Path key, String file, int line) {
    return new CertificateConfig(cert, key, null, null, file, line);
  }

  public static CertificateConfig keystore(Path keystore, String password, String file, int line) {
    return new CertificateConfig(null, null, keystore, password, file, line);
  }

  /** Whether this is a keystore (otherwise PEM certificate and key files). */
  public boolean isKeystore() {
    return keystore != null;
  }

  /** Never prints the password. */
  @Override
  public String toString() {
    return isKeystore()
        ? "CertificateConfig[keystore=" + keystore + ", password=" + (password == null ? "none" : "****") + "]"
        : "CertificateConfig[cert=" + cert + ", key=" + key + "]";
  }
}
