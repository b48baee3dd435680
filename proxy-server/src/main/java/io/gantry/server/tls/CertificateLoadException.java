package io.gantry.server.tls;

import java.nio.file.Path;

/**
 * A certificate or key file could not be used. The message always names the file and what is
 * wrong with it, e.g. {@code "conf/tls/registry.key: private key does not match the certificate
 * in conf/tls/registry.crt (CN=registry.example.com)"}.
 */
public final class CertificateLoadException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient Path file;

  public CertificateLoadException(Path file, String problem) {
    this(file, problem, null);
  }

  public CertificateLoadException(Path file, String problem, Throwable cause) {
    super(file + ": " + problem, cause);
    this.file = file;
  }

  /** The file the problem is in. */
  public Path file() {
    return file;
  }
}
