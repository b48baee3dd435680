package io.gantry.server.tls;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMException;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8DecryptorProviderBuilder;
import org.bouncycastle.openssl.jcajce.JcePEMDecryptorProviderBuilder;
import org.bouncycastle.operator.InputDecryptorProvider;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * Every PEM form {@link PlainPem} leaves alone, read with BouncyCastle: PKCS#1 ({@code RSA
 * PRIVATE KEY}), SEC1 ({@code EC PRIVATE KEY}), encrypted PKCS#8 and OpenSSL-encrypted keys, and
 * the error messages for files that are not PEM at all.
 *
 * <p>The only class of the server that names a BouncyCastle type. BouncyCastle's jars are signed:
 * the JVM verifies a signed jar when the first class comes from it (measured: ~0.25 s of a one-core start)
 * and never puts its classes in the AppCDS archive, so a start with plain PEM files must not load
 * one, not even an exception type the bytecode verifier wants to see.
 */
final class BouncyCastlePem {
  /**
   * Only for decrypting encrypted PEM keys; never registered as a global JCA provider. Created on
   * first use: the provider loads over a thousand classes.
   */
  private static final class Bc {
    static final BouncyCastleProvider PROVIDER = new BouncyCastleProvider();
  }

  private BouncyCastlePem() {}

  /** Reads the chain from {@code certFile} and the one key from {@code keyFile} (may be the same). */
  static PemContents load(Path certFile, Path keyFile, char[] keyPassword) {
    List<Object> certObjects = readPem(certFile);
    List<Object> keyObjects = keyFile.equals(certFile) ? certObjects : readPem(keyFile);

    List<X509Certificate> chain = new ArrayList<>();
    JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
    for (Object o : certObjects) {
      if (o instanceof X509CertificateHolder holder) {
        try {
          chain.add(converter.getCertificate(holder));
        } catch (CertificateException e) {
          throw new CertificateLoadException(certFile, "unreadable certificate: " + e.getMessage(), e);
        }
      }
    }
    if (chain.isEmpty()) {
      throw new CertificateLoadException(
          certFile, "no certificate found (expected: a PEM block '-----BEGIN CERTIFICATE-----')");
    }

    PrivateKey key = null;
    for (Object o : keyObjects) {
      PrivateKey candidate = toPrivateKey(keyFile, o, keyPassword);
      if (candidate != null) {
        if (key != null) {
          throw new CertificateLoadException(
              keyFile, "more than one private key (expected: exactly one)");
        }
        key = candidate;
      }
    }
    if (key == null) {
      throw new CertificateLoadException(
          keyFile,
          "no private key found (expected: a PEM block 'PRIVATE KEY', 'RSA PRIVATE KEY' or"
              + " 'EC PRIVATE KEY')");
    }
    return new PemContents(chain.toArray(X509Certificate[]::new), key);
  }

  private static List<Object> readPem(Path file) {
    List<Object> objects = new ArrayList<>();
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.US_ASCII);
        PEMParser parser = new PEMParser(reader)) {
      Object o;
      while ((o = parser.readObject()) != null) {
        objects.add(o);
      }
    } catch (IOException e) {
      throw new CertificateLoadException(file, CertificateLoader.unreadable(file, e), e);
    }
    return objects;
  }

  private static PrivateKey toPrivateKey(Path file, Object pem, char[] password) {
    JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
    try {
      if (pem instanceof PrivateKeyInfo info) { // PKCS#8 "PRIVATE KEY"
        return converter.getPrivateKey(info);
      }
      if (pem instanceof PEMKeyPair pair) { // PKCS#1 "RSA PRIVATE KEY", SEC1 "EC PRIVATE KEY"
        // Only the private part: SEC1 makes the public key optional, and getKeyPair fails on
        // keys written without it.
        return converter.getPrivateKey(pair.getPrivateKeyInfo());
      }
      if (pem instanceof PKCS8EncryptedPrivateKeyInfo encrypted) {
        requirePassword(file, password);
        InputDecryptorProvider decryptor =
            new JceOpenSSLPKCS8DecryptorProviderBuilder().setProvider(Bc.PROVIDER).build(password);
        return converter.getPrivateKey(encrypted.decryptPrivateKeyInfo(decryptor));
      }
      if (pem instanceof PEMEncryptedKeyPair encrypted) {
        requirePassword(file, password);
        PEMKeyPair pair = encrypted.decryptKeyPair(
            new JcePEMDecryptorProviderBuilder().setProvider(Bc.PROVIDER).build(password));
        return converter.getPrivateKey(pair.getPrivateKeyInfo());
      }
      return null;
    } catch (PKCSException | PEMException e) {
      throw new CertificateLoadException(
          file, "cannot decrypt or decode the private key (wrong password?): " + e.getMessage(), e);
    } catch (OperatorCreationException e) {
      throw new CertificateLoadException(file, "unsupported key encryption: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new CertificateLoadException(file, "cannot decrypt the private key: " + e.getMessage(), e);
    }
  }

  private static void requirePassword(Path file, char[] password) {
    if (password == null || password.length == 0) {
      throw new CertificateLoadException(
          file, "private key is encrypted but no password was given (expected: a key password)");
    }
  }
}
