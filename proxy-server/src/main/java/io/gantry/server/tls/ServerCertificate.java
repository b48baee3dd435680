package io.gantry.server.tls;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * A server certificate chain with its private key, as loaded by {@link CertificateLoader}.
 *
 * <p>Immutable: the chain is copied in and out. {@code hostNames} are the lower-case DNS names
 * of the leaf's subjectAltName extension, or its CN when it has no DNS name; they may contain
 * wildcards such as {@code *.example.com}. {@code source} names the file(s) the certificate came
 * from, for error messages and logs.
 *
 * @param alias the key store alias, lower case and unique within a {@link CertificateStore}
 * @param privateKey the private key of the leaf certificate
 * @param chain the leaf first, then the intermediates
 * @param hostNames the names this certificate serves
 * @param notBefore start of the leaf's validity
 * @param notAfter end of the leaf's validity
 * @param keyType the key algorithm ({@code "EC"}, {@code "RSA"}, ...)
 * @param source the file(s) it was loaded from
 */
public record ServerCertificate(
    String alias,
    PrivateKey privateKey,
    X509Certificate[] chain,
    List<String> hostNames,
    Instant notBefore,
    Instant notAfter,
    String keyType,
    String source) {

  public ServerCertificate {
    Objects.requireNonNull(alias, "alias");
    Objects.requireNonNull(privateKey, "privateKey");
    Objects.requireNonNull(chain, "chain");
    Objects.requireNonNull(notBefore, "notBefore");
    Objects.requireNonNull(notAfter, "notAfter");
    Objects.requireNonNull(keyType, "keyType");
    Objects.requireNonNull(source, "source");
    if (chain.length == 0) {
      throw new IllegalArgumentException("chain: empty (expected: at least the leaf certificate)");
    }
    if (alias.isBlank()) {
      throw new IllegalArgumentException("alias: blank (expected: a key store alias)");
    }
    alias = alias.toLowerCase(Locale.ROOT);
    chain = chain.clone();
    hostNames = List.copyOf(hostNames);
  }

  /** Builds the record from a key and its chain, reading names and dates from the leaf. */
  public static ServerCertificate of(
      String alias, PrivateKey privateKey, X509Certificate[] chain, String source) {
    X509Certificate leaf = chain[0];
    return new ServerCertificate(
        alias,
        privateKey,
        chain,
        CertificateInfo.hostNames(leaf),
        leaf.getNotBefore().toInstant(),
        leaf.getNotAfter().toInstant(),
        leaf.getPublicKey().getAlgorithm(),
        source);
  }

  /** The leaf certificate. */
  public X509Certificate leaf() {
    return chain[0];
  }

  /** A copy of the chain, leaf first. */
  @Override
  public X509Certificate[] chain() {
    return chain.clone();
  }

  /** The same certificate under another alias. */
  public ServerCertificate withAlias(String newAlias) {
    return new ServerCertificate(
        newAlias, privateKey, chain, hostNames, notBefore, notAfter, keyType, source);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ServerCertificate other
        && alias.equals(other.alias)
        && privateKey.equals(other.privateKey)
        && java.util.Arrays.equals(chain, other.chain)
        && source.equals(other.source);
  }

  @Override
  public int hashCode() {
    return Objects.hash(alias, java.util.Arrays.hashCode(chain), source);
  }

  @Override
  public String toString() {
    return "ServerCertificate[" + alias + " " + keyType + " " + hostNames + " notAfter=" + notAfter
        + " from " + source + "]";
  }
}
