package io.gantry.server.tls;

import io.gantry.server.config.CertificateConfig;
import io.gantry.server.config.GantryConfig;
import io.gantry.server.config.TlsConfig;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/** The certificate store a configuration describes: its files, or a self-signed certificate. */
public final class ConfiguredCertificates {
  private ConfiguredCertificates() {}

  /**
   * Loads every configured certificate, or (when none is configured) the self-signed one of
   * {@code tls.self-signed}, made at first start and reused afterwards.
   *
   * @throws CertificateLoadException naming the file, when one cannot be used
   * @throws IllegalArgumentException when the set is inconsistent (two certificates for one name)
   */
  public static CertificateStore load(GantryConfig config) {
    TlsConfig tls = config.tls();
    List<ServerCertificate> loaded = new ArrayList<>();
    for (CertificateConfig c : tls.certificates()) {
      loaded.add(c.isKeystore()
          ? CertificateLoader.loadPkcs12(c.keystore(), c.password() == null ? null : c.password().toCharArray())
          : CertificateLoader.loadPem(c.cert(), c.key(), null));
    }
    if (loaded.isEmpty() && tls.selfSigned() != null) {
      loaded.add(SelfSignedCertificate.loadOrCreate(tls.selfSigned().dir(), tls.selfSigned().hosts(),
          SelfSignedCertificate.KeyType.EC, Clock.systemUTC()));
    }
    if (loaded.isEmpty()) {
      throw new IllegalArgumentException(config.file()
          + ": TLS listeners need gantry.tls.certificates or gantry.tls.self-signed");
    }
    return CertificateStore.of(loaded, tls.defaultCertificate());
  }
}
