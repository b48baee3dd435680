package io.gantry.server.tls;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A self-signed certificate for a fresh installation, kept between starts.
 *
 * <p>{@link #loadOrCreate} reuses {@code selfsigned.crt} / {@code selfsigned.key} in the
 * directory while they load, cover the wanted names and stay valid for more than {@link
 * #RENEW_BEFORE}; otherwise it writes a new pair (valid {@link #VALIDITY}). The key file is
 * readable by the owner only where the file system has POSIX permissions.
 *
 * <pre>{@code
 * ServerCertificate local = SelfSignedCertificate.loadOrCreate(
 *     Path.of("conf/tls"), List.of("localhost"), SelfSignedCertificate.KeyType.EC, Clock.systemUTC());
 * }</pre>
 */
public final class SelfSignedCertificate {
  /** Certificate file name in the directory. */
  public static final String CERT_FILE = "selfsigned.crt";
  /** PKCS#8 key file name in the directory. */
  public static final String KEY_FILE = "selfsigned.key";
  /** How long a generated certificate is valid. */
  public static final Duration VALIDITY = Duration.ofDays(365);
  /** A stored certificate expiring sooner than this is replaced at start. */
  public static final Duration RENEW_BEFORE = Duration.ofDays(7);

  /** Key algorithm of a generated certificate. */
  public enum KeyType {
    /** ECDSA on P-256: small and fast, accepted by every current client. */
    EC,
    /** RSA 2048, for old clients. */
    RSA
  }

  private static final SecureRandom RANDOM = new SecureRandom();

  private SelfSignedCertificate() {}

  /**
   * The certificate in {@code directory}, generated and written there if missing, unreadable,
   * not covering {@code hostNames} or expiring within {@link #RENEW_BEFORE}.
   */
  public static ServerCertificate loadOrCreate(
      Path directory, List<String> hostNames, KeyType keyType, Clock clock) {
    Path certFile = directory.resolve(CERT_FILE);
    Path keyFile = directory.resolve(KEY_FILE);
    Instant now = clock.instant();
    if (Files.isRegularFile(certFile) && Files.isRegularFile(keyFile)) {
      try {
        ServerCertificate existing = CertificateLoader.loadPem(certFile, keyFile, null);
        Set<String> wanted = new HashSet<>();
        hostNames.forEach(h -> wanted.add(CertificateInfo.normalizeHost(h)));
        if (existing.hostNames().containsAll(wanted)
            && existing.notAfter().isAfter(now.plus(RENEW_BEFORE))
            && !existing.notBefore().isAfter(now)) {
          return existing;
        }
      } catch (CertificateLoadException e) {
        // Damaged or foreign files: replace them, as for a first start.
      }
    }
    Generated generated = generate(hostNames, keyType, now, VALIDITY);
    write(generated, certFile, keyFile);
    return CertificateLoader.loadPem(certFile, keyFile, null);
  }

  /** A freshly generated key pair and self-signed certificate, not written anywhere. */
  public record Generated(KeyPair keyPair, X509Certificate certificate) {}

  /**
   * Generates a self-signed certificate: subject CN is the first name, every name a SAN DNS
   * entry, plus IP 127.0.0.1 and ::1 when {@code localhost} is among them; serverAuth only, no
   * CA usage.
   */
  public static Generated generate(
      List<String> hostNames, KeyType keyType, Instant notBefore, Duration validity) {
    if (hostNames.isEmpty()) {
      throw new IllegalArgumentException("host names: none (expected: at least one)");
    }
    List<String> names = new ArrayList<>();
    for (String h : hostNames) {
      String n = CertificateInfo.normalizeHost(h);
      if (n.isEmpty()) {
        throw new IllegalArgumentException("host name: '" + h + "' (expected: a DNS name)");
      }
      if (!names.contains(n)) {
        names.add(n);
      }
    }
    try {
      KeyPair keyPair = newKeyPair(keyType);
      X500Name subject = new X500NameBuilder(BCStyle.INSTANCE)
          .addRDN(BCStyle.O, "gantry self-signed")
          .addRDN(BCStyle.CN, names.get(0))
          .build();
      // Back-date a little: clients with a slightly slow clock would reject a brand-new cert.
      Instant start = notBefore.minus(Duration.ofHours(1));
      X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
          subject,
          new BigInteger(159, RANDOM).add(BigInteger.ONE),
          Date.from(start),
          Date.from(notBefore.plus(validity)),
          subject,
          keyPair.getPublic());
      List<GeneralName> sans = new ArrayList<>();
      for (String n : names) {
        sans.add(new GeneralName(GeneralName.dNSName, n));
      }
      if (names.contains("localhost")) {
        sans.add(new GeneralName(GeneralName.iPAddress, "127.0.0.1"));
        sans.add(new GeneralName(GeneralName.iPAddress, "::1"));
      }
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      builder
          .addExtension(Extension.subjectAlternativeName, false,
              new GeneralNames(sans.toArray(GeneralName[]::new)))
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
          .addExtension(Extension.keyUsage, true, new KeyUsage(keyType == KeyType.RSA
              ? KeyUsage.digitalSignature | KeyUsage.keyEncipherment
              : KeyUsage.digitalSignature))
          .addExtension(Extension.extendedKeyUsage, false,
              new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth))
          .addExtension(Extension.subjectKeyIdentifier, false,
              ext.createSubjectKeyIdentifier(keyPair.getPublic()));
      String signature = keyType == KeyType.EC ? "SHA256withECDSA" : "SHA256withRSA";
      X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(
          builder.build(new JcaContentSignerBuilder(signature).build(keyPair.getPrivate())));
      return new Generated(keyPair, certificate);
    } catch (GeneralSecurityException | OperatorCreationException | CertIOException e) {
      throw new IllegalStateException("cannot generate a self-signed certificate for " + names, e);
    }
  }

  private static KeyPair newKeyPair(KeyType keyType) throws GeneralSecurityException {
    if (keyType == KeyType.EC) {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
      return generator.generateKeyPair();
    }
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048, RANDOM);
    return generator.generateKeyPair();
  }

  /** Writes the certificate and the PKCS#8 key as PEM; each file replaced atomically. */
  public static void write(Generated generated, Path certFile, Path keyFile) {
    try {
      Files.createDirectories(certFile.toAbsolutePath().getParent());
      Files.createDirectories(keyFile.toAbsolutePath().getParent());
      writeAtomically(keyFile, pem(new JcaPKCS8Generator(generated.keyPair().getPrivate(), null)),
          true);
      writeAtomically(certFile, pem(generated.certificate()), false);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + certFile + " / " + keyFile, e);
    }
  }

  private static String pem(Object object) throws IOException {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      writer.writeObject(object);
    }
    return out.toString();
  }

  private static void writeAtomically(Path file, String content, boolean secret)
      throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    boolean posix = Files.getFileStore(dir).supportsFileAttributeView("posix");
    Path tmp;
    if (posix && secret) {
      // Created 0600 from the start: the key is never readable by others, not even briefly.
      Set<PosixFilePermission> ownerOnly = PosixFilePermissions.fromString("rw-------");
      tmp = Files.createTempFile(dir, ".tmp-", ".pem",
          PosixFilePermissions.asFileAttribute(ownerOnly));
    } else {
      tmp = Files.createTempFile(dir, ".tmp-", ".pem");
    }
    try {
      try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.US_ASCII)) {
        w.write(content);
      }
      if (posix && !secret) {
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
      }
      try {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
