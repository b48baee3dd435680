package io.gantry.server.tls;

import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PKCS8Generator;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.bouncycastle.openssl.jcajce.JcePEMEncryptorBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** A tiny test CA issuing leaves with exactly one SAN DNS name each, written as PEM or PKCS#12. */
public final class TestPki {
  public enum Alg { EC, RSA }

  private static final AtomicLong SERIAL = new AtomicLong(1000);
  private static final KeyPair RSA_KEYS = keyPair(Alg.RSA); // RSA generation is slow: share one
  private static final KeyPair EC_CA_KEYS = keyPair(Alg.EC);

  public final Path dir;
  public final X509Certificate caCert;
  private final KeyPair caKeys = EC_CA_KEYS;

  public TestPki(Path dir) throws Exception {
    this.dir = dir;
    X500Name ca = new X500Name("CN=gantry test CA");
    Instant now = Instant.now();
    X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(ca, serial(),
        Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(Duration.ofDays(3650))), ca,
        caKeys.getPublic());
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
    b.addExtension(Extension.keyUsage, true,
        new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    caCert = sign(b);
  }

  /** A leaf: its own key, one SAN DNS entry (or none when san is null), signed by the CA. */
  public record Leaf(KeyPair keys, X509Certificate cert, X509Certificate ca) {
    PrivateKey key() {
      return keys.getPrivate();
    }
  }

  public Leaf leaf(String san, Alg alg) throws Exception {
    Instant now = Instant.now();
    return leaf("CN=" + (san == null ? "no-san" : san), san, alg,
        now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(90)), false);
  }

  Leaf leaf(String subject, String san, Alg alg, Instant notBefore, Instant notAfter,
      boolean keyCertSign) throws Exception {
    KeyPair keys = alg == Alg.RSA ? RSA_KEYS : keyPair(Alg.EC);
    X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
        new X500Name("CN=gantry test CA"), serial(), Date.from(notBefore), Date.from(notAfter),
        new X500Name(subject), keys.getPublic());
    if (san != null) {
      b.addExtension(Extension.subjectAlternativeName, false,
          new GeneralNames(new GeneralName(GeneralName.dNSName, san)));
    }
    int usage = KeyUsage.digitalSignature | (alg == Alg.RSA ? KeyUsage.keyEncipherment : 0);
    if (keyCertSign) {
      usage |= KeyUsage.keyCertSign;
    }
    b.addExtension(Extension.keyUsage, true, new KeyUsage(usage));
    return new Leaf(keys, sign(b), caCert);
  }

  /** Writes chain (leaf + CA) to name.crt and the key to name.key in the given PEM key format. */
  public Path[] writePem(String name, Leaf leaf, String keyFormat) throws Exception {
    Path cert = dir.resolve(name + ".crt");
    Path key = dir.resolve(name + ".key");
    Files.writeString(cert, pem(leaf.cert()) + pem(leaf.ca()), StandardCharsets.US_ASCII);
    Files.writeString(key, keyPem(leaf.key(), keyFormat, null), StandardCharsets.US_ASCII);
    return new Path[] {cert, key};
  }

  /**
   * The key as PEM: "pkcs8" (PRIVATE KEY), "traditional" (RSA PRIVATE KEY / EC PRIVATE KEY),
   * "pkcs8-encrypted" or "traditional-encrypted" with the password.
   */
  static String keyPem(PrivateKey key, String format, char[] password) throws Exception {
    BouncyCastleProvider bc = new BouncyCastleProvider();
    return switch (format) {
      case "pkcs8" -> pem(new JcaPKCS8Generator(key, null));
      case "traditional" -> key instanceof java.security.interfaces.ECPrivateKey ? sec1(key) : pem(key);
      case "pkcs8-encrypted" -> pem(new JcaPKCS8Generator(key,
          new JceOpenSSLPKCS8EncryptorBuilder(PKCS8Generator.AES_256_CBC).setProvider(bc)
              .setPassword(password).build()));
      case "traditional-encrypted" -> {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
          w.writeObject(key,
              new JcePEMEncryptorBuilder("AES-256-CBC").setProvider(bc).build(password));
        }
        yield out.toString();
      }
      default -> throw new IllegalArgumentException(format);
    };
  }

  /**
   * SEC1 as OpenSSL writes it, with the curve and the public key: BouncyCastle's PEM writer
   * copies the inner PKCS#8 structure, which has neither.
   */
  static String sec1(PrivateKey key) throws Exception {
    java.security.interfaces.ECPrivateKey ec = (java.security.interfaces.ECPrivateKey) key;
    org.bouncycastle.asn1.pkcs.PrivateKeyInfo info =
        org.bouncycastle.asn1.pkcs.PrivateKeyInfo.getInstance(key.getEncoded());
    org.bouncycastle.asn1.ASN1Primitive curve =
        info.getPrivateKeyAlgorithm().getParameters().toASN1Primitive();
    org.bouncycastle.jce.spec.ECParameterSpec bcSpec =
        org.bouncycastle.jcajce.provider.asymmetric.util.EC5Util.convertSpec(ec.getParams());
    org.bouncycastle.math.ec.ECPoint q = bcSpec.getG().multiply(ec.getS()).normalize();
    org.bouncycastle.asn1.sec.ECPrivateKey sec1 = new org.bouncycastle.asn1.sec.ECPrivateKey(
        ec.getParams().getOrder().bitLength(), ec.getS(),
        new org.bouncycastle.asn1.DERBitString(q.getEncoded(false)), curve);
    return pem(new org.bouncycastle.util.io.pem.PemObject("EC PRIVATE KEY", sec1.getEncoded()));
  }

  Path writePkcs12(String name, Leaf leaf, char[] password) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, password);
    ks.setKeyEntry("server", leaf.key(), password, new Certificate[] {leaf.cert(), leaf.ca()});
    Path file = dir.resolve(name + ".p12");
    try (OutputStream out = Files.newOutputStream(file)) {
      ks.store(out, password);
    }
    return file;
  }

  /** Loads a leaf as gantry would, from freshly written PEM files. */
  ServerCertificate load(String name, Leaf leaf) throws Exception {
    Path[] files = writePem(name, leaf, "pkcs8");
    return CertificateLoader.loadPem(files[0], files[1], null);
  }

  static String pem(Object o) throws IOException {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      w.writeObject(o);
    }
    return out.toString();
  }

  private X509Certificate sign(X509v3CertificateBuilder b) throws Exception {
    return new JcaX509CertificateConverter().getCertificate(
        b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(caKeys.getPrivate())));
  }

  private static BigInteger serial() {
    return BigInteger.valueOf(SERIAL.incrementAndGet());
  }

  static KeyPair keyPair(Alg alg) {
    try {
      if (alg == Alg.EC) {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
      }
      KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
      g.initialize(2048);
      return g.generateKeyPair();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** A client's TLS context (the JDK's) that trusts this CA only. */
  public SSLContext clientContext() throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ca", caCert);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, tmf.getTrustManagers(), null);
    return context;
  }

  /**
   * The first SAN of the certificate a new TLS handshake with {@code sni} on {@code port} gets,
   * verified against this CA; one {@code GET path} is sent so the server sees a whole exchange.
   */
  public String sanServedTo(int port, String sni, String path) throws Exception {
    SSLContext context = clientContext();
    try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port)) {
      SSLParameters params = socket.getSSLParameters();
      params.setServerNames(List.of(new SNIHostName(sni)));
      socket.setSSLParameters(params);
      socket.setSoTimeout(10_000);
      socket.startHandshake();
      X509Certificate served = (X509Certificate) socket.getSession().getPeerCertificates()[0];
      socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: " + sni + "\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      socket.getInputStream().transferTo(OutputStream.nullOutputStream());
      return (String) served.getSubjectAlternativeNames().iterator().next().get(1);
    }
  }
}
