package io.gantry.server.tls;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.UnrecoverableKeyException;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * Loads a {@link ServerCertificate} from PEM files or a PKCS#12 key store, and checks it is
 * usable: a certificate is there, a key is there, and the key belongs to the certificate.
 *
 * <p>PEM keys may be PKCS#8 ({@code PRIVATE KEY}, {@code ENCRYPTED PRIVATE KEY}), PKCS#1 ({@code
 * RSA PRIVATE KEY}) or SEC1 ({@code EC PRIVATE KEY}), also OpenSSL-encrypted ({@code Proc-Type:
 * 4,ENCRYPTED}); the certificate and the key may be in the same file. The keys come out as JDK
 * key objects, so the JDK's TLS stack uses them as it would keys from a JKS file. The common case
 * (certificates and an unencrypted PKCS#8 key) is read by the JDK alone ({@link PlainPem}), the
 * rest by BouncyCastle ({@link BouncyCastlePem}), whose signed jars are only opened then.
 *
 * <pre>{@code
 * ServerCertificate a = CertificateLoader.loadPem(Path.of("a.crt"), Path.of("a.key"), null);
 * ServerCertificate b = CertificateLoader.loadPem(Path.of("b-with-key.pem"), null, null);
 * ServerCertificate c = CertificateLoader.loadPkcs12(Path.of("c.p12"), "changeit".toCharArray());
 * }</pre>
 */
public final class CertificateLoader {
  private CertificateLoader() {}

  /**
   * Loads a certificate chain and its key from PEM.
   *
   * @param certFile the chain, leaf first (may also hold the key)
   * @param keyFile the private key, or null when it is in {@code certFile}
   * @param keyPassword the password of an encrypted key, or null
   * @throws CertificateLoadException naming the file and the problem
   */
  public static ServerCertificate loadPem(Path certFile, Path keyFile, char[] keyPassword) {
    Path keyPath = keyFile == null ? certFile : keyFile;
    PemContents pem = keyPassword == null || keyPassword.length == 0 ? PlainPem.tryLoad(certFile, keyPath) : null;
    if (pem == null) {
      pem = BouncyCastlePem.load(certFile, keyPath, keyPassword);
    }
    return certificate(certFile, keyPath, pem.chain(), pem.key());
  }

  private static ServerCertificate certificate(Path certFile, Path keyPath, X509Certificate[] certs, PrivateKey key) {
    checkKeyMatches(keyPath, key, certFile, certs[0]);
    String source = keyPath.equals(certFile) ? certFile.toString() : certFile + " + " + keyPath;
    return ServerCertificate.of(aliasFor(certFile, certs[0]), key, certs, source);
  }

  /** Loads the single key entry of a PKCS#12 file; see {@link #loadPkcs12(Path, char[], String)}. */
  public static ServerCertificate loadPkcs12(Path file, char[] password) {
    return loadPkcs12(file, password, null);
  }

  /**
   * Loads a key entry and its chain from a PKCS#12 file.
   *
   * @param password the store password; null or empty for a store without one
   * @param alias the key entry to use, or null when the store holds exactly one
   * @throws CertificateLoadException naming the file and the problem
   */
  public static ServerCertificate loadPkcs12(Path file, char[] password, String alias) {
    char[] pw = password == null ? new char[0] : password;
    KeyStore ks;
    try (InputStream in = Files.newInputStream(file)) {
      ks = KeyStore.getInstance("PKCS12");
      ks.load(in, pw);
    } catch (IOException e) {
      if (e.getCause() instanceof UnrecoverableKeyException) {
        throw new CertificateLoadException(file, "wrong PKCS#12 password", e);
      }
      throw new CertificateLoadException(file, unreadable(file, e), e);
    } catch (GeneralSecurityException e) {
      throw new CertificateLoadException(file, "unreadable PKCS#12 store: " + e.getMessage(), e);
    }
    try {
      List<String> keyAliases = new ArrayList<>();
      for (String a : Collections.list(ks.aliases())) {
        if (ks.isKeyEntry(a)) {
          keyAliases.add(a);
        }
      }
      String chosen;
      if (alias != null) {
        chosen = alias.toLowerCase(Locale.ROOT);
        if (!keyAliases.contains(chosen)) {
          throw new CertificateLoadException(
              file, "no key entry '" + alias + "' (expected one of: " + keyAliases + ")");
        }
      } else if (keyAliases.size() == 1) {
        chosen = keyAliases.get(0);
      } else if (keyAliases.isEmpty()) {
        throw new CertificateLoadException(file, "no private key entry in the PKCS#12 store");
      } else {
        throw new CertificateLoadException(
            file, "several key entries " + keyAliases + " (expected: one, or name the alias)");
      }
      Key key;
      try {
        key = ks.getKey(chosen, pw);
      } catch (UnrecoverableKeyException e) {
        throw new CertificateLoadException(
            file, "cannot decrypt the private key '" + chosen + "' with the given password", e);
      }
      if (!(key instanceof PrivateKey privateKey)) {
        throw new CertificateLoadException(file, "entry '" + chosen + "' holds no private key");
      }
      Certificate[] raw = ks.getCertificateChain(chosen);
      if (raw == null || raw.length == 0) {
        throw new CertificateLoadException(file, "no certificate for key entry '" + chosen + "'");
      }
      X509Certificate[] chain = new X509Certificate[raw.length];
      for (int i = 0; i < raw.length; i++) {
        if (!(raw[i] instanceof X509Certificate x509)) {
          throw new CertificateLoadException(file, "entry '" + chosen + "' is not an X.509 chain");
        }
        chain[i] = x509;
      }
      checkKeyMatches(file, privateKey, file, chain[0]);
      return ServerCertificate.of(aliasFor(file, chain[0]), privateKey, chain, file.toString());
    } catch (GeneralSecurityException e) {
      throw new CertificateLoadException(file, "unreadable PKCS#12 entry: " + e.getMessage(), e);
    }
  }

  static String unreadable(Path file, IOException e) {
    if (!Files.exists(file)) {
      return "file not found";
    }
    if (!Files.isReadable(file)) {
      return "file not readable (check its permissions)";
    }
    if (Files.isDirectory(file)) {
      return "is a directory (expected: a file)";
    }
    return "unreadable: " + e;
  }

  /**
   * Proves the key belongs to the certificate by signing with one and verifying with the other:
   * this works for every key type without re-deriving public keys.
   */
  static void checkKeyMatches(Path keyFile, PrivateKey key, Path certFile, X509Certificate leaf) {
    PublicKey publicKey = leaf.getPublicKey();
    String problem = "private key does not match the certificate in " + certFile + " ("
        + leaf.getSubjectX500Principal().getName() + ")";
    if (!key.getAlgorithm().equals(publicKey.getAlgorithm())) {
      throw new CertificateLoadException(
          keyFile, problem + ": key is " + key.getAlgorithm() + ", certificate is "
              + publicKey.getAlgorithm());
    }
    String algorithm = switch (publicKey.getAlgorithm()) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      case "DSA" -> "SHA256withDSA";
      case "RSASSA-PSS" -> "RSASSA-PSS";
      default -> publicKey.getAlgorithm(); // EdDSA, Ed25519, Ed448 sign with their own name
    };
    try {
      byte[] data = new byte[32];
      new SecureRandom().nextBytes(data);
      Signature signer = Signature.getInstance(algorithm);
      if ("RSASSA-PSS".equals(algorithm)) {
        signer.setParameter(new java.security.spec.PSSParameterSpec(
            "SHA-256", "MGF1", java.security.spec.MGF1ParameterSpec.SHA256, 32, 1));
      }
      signer.initSign(key);
      signer.update(data);
      byte[] signature = signer.sign();
      signer.initVerify(publicKey);
      signer.update(data);
      if (!signer.verify(signature)) {
        throw new CertificateLoadException(keyFile, problem);
      }
    } catch (GeneralSecurityException e) {
      throw new CertificateLoadException(keyFile, problem + ": " + e.getMessage(), e);
    }
  }

  /** "registry-1a2b3c4d": the file name and the leaf fingerprint, unique per content. */
  static String aliasFor(Path file, X509Certificate leaf) {
    String name = file.getFileName() == null ? "cert" : file.getFileName().toString();
    int dot = name.indexOf('.');
    if (dot > 0) {
      name = name.substring(0, dot);
    }
    name = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_-]", "_");
    return name + "-" + CertificateInfo.sha256(leaf).substring(0, 8);
  }
}
