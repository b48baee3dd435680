package io.gantry.server.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The common PEM case read with the JDK alone: X.509 {@code CERTIFICATE} blocks and one
 * unencrypted PKCS#8 {@code PRIVATE KEY}, which is what certbot, cert-manager and {@code openssl
 * req -newkey} write. BouncyCastle's PEM parser loads some 400 classes (~0.25 s of every start,
 * measured); it stays for every other format and for all error reporting: anything this class
 * does not recognise it leaves to the full parser by answering {@code null}.
 */
final class PlainPem {
  private static final Pattern BLOCK = Pattern.compile(
      "-----BEGIN ([A-Z0-9 ]+)-----\\s*([A-Za-z0-9+/=\\s]+?)-----END \\1-----");
  private static final List<String> KEY_ALGORITHMS = List.of("EC", "RSA", "Ed25519", "Ed448", "RSASSA-PSS");

  private PlainPem() {}

  /** The certificate chain and key, or {@code null} when the files need the full parser. */
  static PemContents tryLoad(Path certFile, Path keyFile) {
    try {
      List<String[]> certBlocks = blocks(Files.readString(certFile, StandardCharsets.US_ASCII));
      List<String[]> keyBlocks = keyFile.equals(certFile) ? certBlocks
          : blocks(Files.readString(keyFile, StandardCharsets.US_ASCII));
      if (certBlocks == null || keyBlocks == null) {
        return null;
      }
      List<X509Certificate> chain = new ArrayList<>();
      CertificateFactory x509 = CertificateFactory.getInstance("X.509");
      byte[] key = null;
      for (String[] block : certBlocks) {
        if (block[0].equals("CERTIFICATE")) {
          Certificate c = x509.generateCertificate(new ByteArrayInputStream(decode(block[1])));
          chain.add((X509Certificate) c);
        } else if (!(keyFile.equals(certFile) && block[0].equals("PRIVATE KEY"))) {
          return null;
        }
      }
      for (String[] block : keyBlocks) {
        if (block[0].equals("PRIVATE KEY")) {
          if (key != null) {
            return null; // more than one: the full parser says so
          }
          key = decode(block[1]);
        } else if (!(keyFile.equals(certFile) && block[0].equals("CERTIFICATE"))) {
          return null;
        }
      }
      if (chain.isEmpty() || key == null) {
        return null;
      }
      PrivateKey privateKey = privateKey(key);
      return privateKey == null ? null : new PemContents(chain.toArray(X509Certificate[]::new), privateKey);
    } catch (IOException | GeneralSecurityException | IllegalArgumentException | ClassCastException e) {
      return null; // the full parser reads it again and names the problem
    }
  }

  /** The PEM blocks as {type, base64}, or {@code null} when anything but blocks and blank space is there. */
  private static List<String[]> blocks(String text) {
    List<String[]> blocks = new ArrayList<>();
    Matcher m = BLOCK.matcher(text);
    int end = 0;
    while (m.find()) {
      if (!text.substring(end, m.start()).isBlank()) {
        return null; // headers (Proc-Type), comments or explanatory text: not the plain case
      }
      blocks.add(new String[] {m.group(1), m.group(2)});
      end = m.end();
    }
    return text.substring(end).isBlank() && !blocks.isEmpty() ? blocks : null;
  }

  private static byte[] decode(String base64) {
    return Base64.getMimeDecoder().decode(base64);
  }

  private static PrivateKey privateKey(byte[] pkcs8) {
    PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(pkcs8);
    for (String algorithm : KEY_ALGORITHMS) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(spec);
      } catch (GeneralSecurityException e) {
        // not this algorithm; try the next
      }
    }
    return null;
  }
}
