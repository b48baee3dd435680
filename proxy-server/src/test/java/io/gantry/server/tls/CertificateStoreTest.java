package io.gantry.server.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gantry.server.tls.TestPki.Alg;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CertificateStoreTest {
  @TempDir Path dir;
  TestPki pki;
  ServerCertificate registry;
  ServerCertificate docker;
  ServerCertificate wildcard;
  CertificateStore store;

  @BeforeEach
  void setUp() throws Exception {
    pki = new TestPki(dir);
    registry = pki.load("registry", pki.leaf("registry.example.test", Alg.RSA));
    docker = pki.load("docker", pki.leaf("docker.example.test", Alg.EC));
    wildcard = pki.load("wildcard", pki.leaf("*.example.test", Alg.EC));
    store = CertificateStore.of(List.of(registry, docker, wildcard), "registry.example.test");
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "registry.example.test, registry", // exact
    "docker.example.test, docker", // exact
    "REGISTRY.Example.TEST., registry", // case and trailing dot do not matter
    "maven.example.test, wildcard", // wildcard covers one label
    "example.test, registry", // bare domain: not the wildcard -> default
    "a.b.example.test, registry", // two labels deep: not the wildcard -> default
    "other.test, registry", // unknown -> default
    ".example.test, registry", // empty first label is no label
  })
  void selectsExactThenSingleLabelWildcardElseDefault(String sni, String expected) {
    assertEquals(expected, store.select(sni).alias().replaceAll("-[0-9a-f]{8}$", ""));
  }

  @Test
  void exactRsaBeatsEcWildcard() {
    // The case Jetty's own selection gets wrong: it asks for EC first and takes the wildcard.
    assertSame(store.certificates().get(0), store.select("registry.example.test"));
    assertEquals("RSA", store.select("registry.example.test").keyType());
    assertEquals("EC", store.select("npm.example.test").keyType());
  }

  @Test
  void withoutSniTheConfiguredDefaultOrTheFirst() {
    assertEquals(registry.alias(), store.select(null).alias());
    assertEquals(registry.alias(), store.select("").alias());
    CertificateStore byDocker = CertificateStore.of(List.of(registry, docker), "docker.example.test");
    assertEquals(docker.alias(), byDocker.select(null).alias());
    CertificateStore byWildcard = CertificateStore.of(List.of(registry, wildcard), "x.example.test");
    assertEquals(wildcard.alias(), byWildcard.defaultCertificate().alias());
    assertEquals(docker.alias(), CertificateStore.of(List.of(docker, registry)).select(null).alias());
  }

  @Test
  void defaultHostNoCertificateServesIsAnError() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> CertificateStore.of(List.of(registry, docker), "nexus.example.test"));
    assertTrue(e.getMessage().startsWith("default host: nexus.example.test (expected: a name served"),
        e.getMessage());
  }

  @Test
  void sameExactNameTwiceIsAnErrorNamingBothFiles() throws Exception {
    ServerCertificate again = pki.load("registry-new", pki.leaf("registry.example.test", Alg.EC));

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> CertificateStore.of(List.of(registry, docker, again)));

    assertEquals("host name 'registry.example.test' is served by two certificates: "
        + registry.source() + " and " + again.source() + " (expected: one certificate per name)",
        e.getMessage());
  }

  @Test
  void noCertificateIsAnError() {
    assertThrows(IllegalArgumentException.class, () -> CertificateStore.of(List.of()));
  }

  @Test
  void sameCertificateTwiceGetsDistinctAliasesButItsNamesClash() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> CertificateStore.of(List.of(docker, docker)));
    assertTrue(e.getMessage().contains("docker.example.test"), e.getMessage());
  }

  @Test
  void expiredAndNotYetValidCertificatesAreKeptWithAWarning() throws Exception {
    Instant now = Instant.parse("2030-06-01T00:00:00Z");
    ServerCertificate expired = pki.load("old", pki.leaf("CN=old", "old.example.test", Alg.EC,
        now.minus(Duration.ofDays(100)), now.minus(Duration.ofDays(1)), false));
    ServerCertificate future = pki.load("new", pki.leaf("CN=new", "new.example.test", Alg.EC,
        now.plus(Duration.ofDays(1)), now.plus(Duration.ofDays(100)), false));
    ServerCertificate current = pki.load("ok", pki.leaf("CN=ok", "ok.example.test", Alg.EC,
        now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(100)), false));

    CertificateStore s = CertificateStore.of(List.of(expired, future, current), null,
        Clock.fixed(now, ZoneOffset.UTC));

    assertEquals(2, s.warnings().size(), s.warnings().toString());
    assertTrue(s.warnings().get(0).contains("expired on " + expired.notAfter()), s.warnings().get(0));
    assertTrue(s.warnings().get(0).contains(expired.source()), s.warnings().get(0));
    assertTrue(s.warnings().get(1).contains("not valid before " + future.notBefore()),
        s.warnings().get(1));
    assertEquals(expired.alias(), s.select("old.example.test").alias(), "still served");
    assertEquals(List.of(), store.warnings());
  }

  @Test
  void certificateInfoReportsNamesAndDaysToExpiry() {
    CertificateInfo info = CertificateInfo.of(registry);
    assertEquals(List.of("registry.example.test"), info.hostNames());
    assertEquals(registry.notAfter(), info.notAfter());
    assertEquals(10, info.daysToExpiry(registry.notAfter().minus(Duration.ofDays(10))));
    assertEquals(-1, info.daysToExpiry(registry.notAfter().plusSeconds(1)));
    assertEquals(64, info.sha256().length());
    assertTrue(info.describe(registry.notAfter().minus(Duration.ofDays(3)))
        .contains("(in 3 days)"));
  }
}
