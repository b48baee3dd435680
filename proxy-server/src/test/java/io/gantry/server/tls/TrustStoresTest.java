package io.gantry.server.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrustStoresTest {
  @TempDir Path dir;

  @Test
  void everyCertificateOfThePemFileIsTrusted() throws Exception {
    TestPki first = new TestPki(dir);
    TestPki second = new TestPki(dir);
    Path ca = Files.writeString(dir.resolve("ca.pem"), TestPki.pem(first.caCert) + TestPki.pem(second.caCert));
    KeyStore store = TrustStores.fromPem(ca);
    assertEquals(List.of("ca-0", "ca-1"), Collections.list(store.aliases()).stream().sorted().toList());
    assertTrue(store.isCertificateEntry("ca-0"));
    assertEquals(first.caCert, store.getCertificate("ca-0"));
  }

  @Test
  void aFileWithoutCertificatesIsNamed() throws Exception {
    Path ca = Files.writeString(dir.resolve("ca.pem"), "not a certificate\n");
    CertificateLoadException e = assertThrows(CertificateLoadException.class, () -> TrustStores.fromPem(ca));
    assertEquals(ca, e.file());
    assertTrue(e.getMessage().startsWith(ca + ": "), e::getMessage);
    assertTrue(e.getMessage().endsWith("(expected: PEM CA certificates, -----BEGIN CERTIFICATE-----)"), e::getMessage);
  }

  @Test
  void aMissingFileIsNamed() {
    Path ca = dir.resolve("missing.pem");
    CertificateLoadException e = assertThrows(CertificateLoadException.class, () -> TrustStores.fromPem(ca));
    assertEquals(ca, e.file());
  }
}
