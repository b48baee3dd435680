package io.gantry.server.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gantry.server.tls.TestPki.Alg;
import io.gantry.server.tls.TestPki.Leaf;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CertificateLoaderTest {
  @TempDir Path dir;
  TestPki pki;

  @BeforeEach
  void setUp() throws Exception {
    pki = new TestPki(dir);
  }

  @ParameterizedTest(name = "{0} key as {1}")
  @CsvSource({
    "RSA, pkcs8, -----BEGIN PRIVATE KEY-----",
    "RSA, traditional, -----BEGIN RSA PRIVATE KEY-----",
    "EC, pkcs8, -----BEGIN PRIVATE KEY-----",
    "EC, traditional, -----BEGIN EC PRIVATE KEY-----",
  })
  void loadsPemKeyFormats(Alg alg, String format, String header) throws Exception {
    Leaf leaf = pki.leaf("registry.example.test", alg);
    Path[] files = pki.writePem("registry", leaf, format);
    assertTrue(Files.readString(files[1]).startsWith(header), "test wrote the intended format");

    ServerCertificate c = CertificateLoader.loadPem(files[0], files[1], null);

    assertEquals(List.of("registry.example.test"), c.hostNames());
    assertEquals(alg.name(), c.keyType());
    assertEquals(2, c.chain().length, "leaf and CA");
    assertEquals(leaf.cert(), c.leaf());
    assertEquals(leaf.cert().getNotAfter().toInstant(), c.notAfter());
    assertTrue(c.alias().startsWith("registry-"), c.alias());
    assertEquals(files[0] + " + " + files[1], c.source());
  }

  @ParameterizedTest(name = "{0} key as {1}: JDK fast path {2}")
  @CsvSource({
    "RSA, pkcs8, true",
    "EC, pkcs8, true",
    "RSA, traditional, false",
    "EC, traditional, false",
  })
  void plainPkcs8IsReadWithoutBouncyCastleAndGivesTheSameKey(Alg alg, String format, boolean plain) throws Exception {
    Leaf leaf = pki.leaf("fast.example.test", alg);
    Path[] files = pki.writePem("fast", leaf, format);

    PemContents loaded = PlainPem.tryLoad(files[0], files[1]);

    assertEquals(plain, loaded != null);
    if (plain) {
      assertEquals(leaf.cert(), loaded.chain()[0]);
      assertEquals(2, loaded.chain().length);
      assertEquals(leaf.key(), loaded.key());
    }
  }

  @Test
  void pemWithTextAroundTheBlocksIsLeftToTheFullParser() throws Exception {
    Leaf leaf = pki.leaf("text.example.test", Alg.EC);
    Path[] files = pki.writePem("text", leaf, "pkcs8");
    Files.writeString(files[0], "subject=CN=text.example.test\n" + Files.readString(files[0]));

    assertNull(PlainPem.tryLoad(files[0], files[1]));
    assertEquals(List.of("text.example.test"), CertificateLoader.loadPem(files[0], files[1], null).hostNames());
  }

  @Test
  void loadsCertificateAndKeyFromOneFile() throws Exception {
    Leaf leaf = pki.leaf("both.example.test", Alg.EC);
    Path both = dir.resolve("both.pem");
    Files.writeString(both, TestPki.keyPem(leaf.key(), "traditional", null)
        + TestPki.pem(leaf.cert()) + TestPki.pem(leaf.ca()), StandardCharsets.US_ASCII);

    ServerCertificate c = CertificateLoader.loadPem(both, null, null);

    assertEquals(List.of("both.example.test"), c.hostNames());
    assertEquals(both.toString(), c.source());
  }

  @ParameterizedTest
  @CsvSource({"pkcs8-encrypted", "traditional-encrypted"})
  void encryptedKeyLoadsWithPasswordAndFailsClearlyWithout(String format) throws Exception {
    Leaf leaf = pki.leaf("secret.example.test", Alg.RSA);
    Path[] files = pki.writePem("secret", leaf, "pkcs8");
    Files.writeString(files[1], TestPki.keyPem(leaf.key(), format, "s3cret".toCharArray()));

    ServerCertificate c = CertificateLoader.loadPem(files[0], files[1], "s3cret".toCharArray());
    assertEquals(List.of("secret.example.test"), c.hostNames());

    CertificateLoadException e = assertThrows(CertificateLoadException.class,
        () -> CertificateLoader.loadPem(files[0], files[1], null));
    assertEquals(files[1], e.file());
    assertTrue(e.getMessage().contains("encrypted but no password"), e.getMessage());

    CertificateLoadException wrong = assertThrows(CertificateLoadException.class,
        () -> CertificateLoader.loadPem(files[0], files[1], "nope".toCharArray()));
    assertTrue(wrong.getMessage().startsWith(files[1] + ": "), wrong.getMessage());
  }

  @Test
  void loadsPkcs12WithPassword() throws Exception {
    Leaf leaf = pki.leaf("p12.example.test", Alg.RSA);
    Path p12 = pki.writePkcs12("store", leaf, "changeit".toCharArray());

    ServerCertificate c = CertificateLoader.loadPkcs12(p12, "changeit".toCharArray());

    assertEquals(List.of("p12.example.test"), c.hostNames());
    assertEquals("RSA", c.keyType());
    assertArrayEquals(new Object[] {leaf.cert(), leaf.ca()}, c.chain());
    assertEquals(p12.toString(), c.source());
  }

  @Test
  void loadsPkcs12WithEmptyPassword() throws Exception {
    Leaf leaf = pki.leaf("open.example.test", Alg.EC);
    Path p12 = pki.writePkcs12("open", leaf, new char[0]);

    assertEquals(List.of("open.example.test"), CertificateLoader.loadPkcs12(p12, null).hostNames());
  }

  @Test
  void wrongPkcs12PasswordNamesTheFile() throws Exception {
    Path p12 = pki.writePkcs12("store", pki.leaf("p12.example.test", Alg.EC), "right".toCharArray());

    CertificateLoadException e = assertThrows(CertificateLoadException.class,
        () -> CertificateLoader.loadPkcs12(p12, "wrong".toCharArray()));

    assertEquals(p12 + ": wrong PKCS#12 password", e.getMessage());
  }

  @Test
  void keyOfAnotherCertificateIsRejected() throws Exception {
    Path[] a = pki.writePem("a", pki.leaf("a.example.test", Alg.EC), "pkcs8");
    Path[] b = pki.writePem("b", pki.leaf("b.example.test", Alg.EC), "pkcs8");

    CertificateLoadException e = assertThrows(CertificateLoadException.class,
        () -> CertificateLoader.loadPem(a[0], b[1], null));

    assertEquals(b[1], e.file());
    assertTrue(e.getMessage().contains("private key does not match the certificate in " + a[0]),
        e.getMessage());
  }

  @Test
  void keyOfAnotherTypeIsRejected() throws Exception {
    Path[] ec = pki.writePem("ec", pki.leaf("ec.example.test", Alg.EC), "pkcs8");
    Path[] rsa = pki.writePem("rsa", pki.leaf("rsa.example.test", Alg.RSA), "pkcs8");

    CertificateLoadException e = assertThrows(CertificateLoadException.class,
        () -> CertificateLoader.loadPem(ec[0], rsa[1], null));

    assertTrue(e.getMessage().contains("key is RSA, certificate is EC"), e.getMessage());
  }

  @Test
  void missingFileIsNamed() {
    Path missing = dir.resolve("nope.crt");

    CertificateLoadException e = assertThrows(CertificateLoadException.class,
        () -> CertificateLoader.loadPem(missing, dir.resolve("nope.key"), null));

    assertEquals(missing + ": file not found", e.getMessage());
    CertificateLoadException p12 = assertThrows(CertificateLoadException.class,
        () -> CertificateLoader.loadPkcs12(dir.resolve("nope.p12"), null));
    assertTrue(p12.getMessage().endsWith("nope.p12: file not found"), p12.getMessage());
  }

  @Test
  void fileWithoutCertificateOrKeyIsNamed() throws Exception {
    Leaf leaf = pki.leaf("x.example.test", Alg.EC);
    Path[] files = pki.writePem("x", leaf, "pkcs8");

    CertificateLoadException noCert = assertThrows(CertificateLoadException.class,
        () -> CertificateLoader.loadPem(files[1], files[1], null));
    assertTrue(noCert.getMessage().startsWith(files[1] + ": no certificate found"),
        noCert.getMessage());

    CertificateLoadException noKey = assertThrows(CertificateLoadException.class,
        () -> CertificateLoader.loadPem(files[0], files[0], null));
    assertTrue(noKey.getMessage().startsWith(files[0] + ": no private key found"),
        noKey.getMessage());

    Path garbage = dir.resolve("garbage.pem");
    Files.writeString(garbage, "not a certificate\n");
    assertThrows(CertificateLoadException.class,
        () -> CertificateLoader.loadPem(garbage, files[1], null));
  }

  @Test
  void commonNameIsOnlyAFallbackForMissingSanDns() throws Exception {
    Instant now = Instant.now();
    Leaf noSan = pki.leaf("CN=cn-only.example.test,O=gantry", null, Alg.EC,
        now.minus(1, ChronoUnit.DAYS), now.plus(9, ChronoUnit.DAYS), false);
    Leaf withSan = pki.leaf("CN=ignored.example.test", "san.example.test", Alg.EC,
        now.minus(1, ChronoUnit.DAYS), now.plus(9, ChronoUnit.DAYS), false);

    assertEquals(List.of("cn-only.example.test"), pki.load("nosan", noSan).hostNames());
    assertEquals(List.of("san.example.test"), pki.load("withsan", withSan).hostNames());
  }

  @Test
  void leafWithKeyCertSignUsageStillLoads() throws Exception {
    Instant now = Instant.now();
    Leaf leaf = pki.leaf("CN=signing.example.test", "signing.example.test", Alg.EC,
        now.minus(1, ChronoUnit.DAYS), now.plus(9, ChronoUnit.DAYS), true);

    assertEquals(List.of("signing.example.test"), pki.load("signing", leaf).hostNames());
  }
}
