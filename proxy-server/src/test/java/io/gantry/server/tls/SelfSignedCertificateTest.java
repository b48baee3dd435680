package io.gantry.server.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gantry.server.tls.SelfSignedCertificate.KeyType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class SelfSignedCertificateTest {
  @TempDir Path dir;

  @ParameterizedTest
  @EnumSource(KeyType.class)
  void firstStartWritesPemFilesForLocalhost(KeyType keyType) throws Exception {
    Path tls = dir.resolve("conf/tls");
    ServerCertificate c = SelfSignedCertificate.loadOrCreate(
        tls, List.of("localhost", "gantry.local"), keyType, Clock.systemUTC());

    assertEquals(List.of("localhost", "gantry.local"), c.hostNames());
    assertEquals(keyType.name(), c.keyType());
    assertTrue(c.leaf().getSubjectAlternativeNames().stream()
        .anyMatch(san -> san.get(0).equals(7) && san.get(1).equals("127.0.0.1")), "IP SAN");
    assertEquals(-1, c.leaf().getBasicConstraints(), "not a CA");
    long days = Duration.between(Instant.now(), c.notAfter()).toDays();
    assertTrue(days >= 364 && days <= 365, "valid one year: " + days);
    String key = Files.readString(tls.resolve(SelfSignedCertificate.KEY_FILE));
    assertTrue(key.startsWith("-----BEGIN PRIVATE KEY-----"), "PKCS#8");
    if (Files.getFileStore(tls).supportsFileAttributeView("posix")) {
      assertEquals("rw-------", PosixFilePermissions.toString(
          Files.getPosixFilePermissions(tls.resolve(SelfSignedCertificate.KEY_FILE))));
    }
    CertificateStore store = CertificateStore.of(List.of(c));
    assertEquals(c.alias(), store.select("localhost").alias());
  }

  @Test
  void nextStartReusesAValidCertificate() {
    ServerCertificate first =
        SelfSignedCertificate.loadOrCreate(dir, List.of("localhost"), KeyType.EC, Clock.systemUTC());
    Clock monthLater = Clock.offset(Clock.systemUTC(), Duration.ofDays(30));

    ServerCertificate second =
        SelfSignedCertificate.loadOrCreate(dir, List.of("LOCALHOST"), KeyType.EC, monthLater);

    assertEquals(first.leaf(), second.leaf());
  }

  @Test
  void certificateExpiringWithinSevenDaysIsReplaced() {
    ServerCertificate first =
        SelfSignedCertificate.loadOrCreate(dir, List.of("localhost"), KeyType.EC, Clock.systemUTC());
    Clock nearExpiry = Clock.fixed(first.notAfter().minus(Duration.ofDays(6)), ZoneOffset.UTC);

    ServerCertificate second =
        SelfSignedCertificate.loadOrCreate(dir, List.of("localhost"), KeyType.EC, nearExpiry);

    assertNotEquals(first.leaf(), second.leaf());
    assertTrue(second.notAfter().isAfter(first.notAfter()));
  }

  @Test
  void newHostNameOrDamagedFilesGiveANewCertificate() throws Exception {
    ServerCertificate first =
        SelfSignedCertificate.loadOrCreate(dir, List.of("localhost"), KeyType.EC, Clock.systemUTC());

    ServerCertificate more = SelfSignedCertificate.loadOrCreate(
        dir, List.of("localhost", "nexus.lan"), KeyType.EC, Clock.systemUTC());
    assertNotEquals(first.leaf(), more.leaf());
    assertEquals(List.of("localhost", "nexus.lan"), more.hostNames());

    Files.writeString(dir.resolve(SelfSignedCertificate.KEY_FILE), "garbage");
    ServerCertificate repaired =
        SelfSignedCertificate.loadOrCreate(dir, List.of("localhost"), KeyType.EC, Clock.systemUTC());
    assertFalse(repaired.hostNames().isEmpty());
    assertEquals(List.of(), Files.list(dir).filter(p -> p.getFileName().toString().startsWith(".tmp-"))
        .toList(), "no temporary files left");
  }
}
