package io.gantry.server.tls;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * What to log or export as metrics about a certificate: names, key type, validity and the SHA-256
 * fingerprint of the leaf.
 *
 * <pre>{@code
 * for (ServerCertificate c : store.certificates()) {
 *   CertificateInfo info = CertificateInfo.of(c);
 *   LOG.info("{}", info.describe(clock.instant()));
 *   registry.gauge("tls.days_to_expiry." + info.alias(), () -> () -> info.daysToExpiry(clock.instant()));
 * }
 * }</pre>
 *
 * @param alias the key store alias
 * @param source the file(s) it was loaded from
 * @param hostNames the names it serves
 * @param keyType the key algorithm
 * @param subject the leaf's subject DN
 * @param issuer the leaf's issuer DN
 * @param notBefore start of validity
 * @param notAfter end of validity
 * @param sha256 the SHA-256 fingerprint of the leaf, lower-case hex
 */
public record CertificateInfo(
    String alias,
    String source,
    List<String> hostNames,
    String keyType,
    String subject,
    String issuer,
    Instant notBefore,
    Instant notAfter,
    String sha256) {

  private static final int SAN_DNS = 2;

  public CertificateInfo {
    hostNames = List.copyOf(hostNames);
  }

  /** The information about one certificate of a store. */
  public static CertificateInfo of(ServerCertificate certificate) {
    X509Certificate leaf = certificate.leaf();
    return new CertificateInfo(
        certificate.alias(),
        certificate.source(),
        certificate.hostNames(),
        certificate.keyType(),
        leaf.getSubjectX500Principal().getName(),
        leaf.getIssuerX500Principal().getName(),
        certificate.notBefore(),
        certificate.notAfter(),
        sha256(leaf));
  }

  /** Whole days until {@code notAfter}; negative once expired (-1 on the first day after). */
  public long daysToExpiry(Instant now) {
    return Math.floorDiv(Duration.between(now, notAfter).getSeconds(), 86_400L);
  }

  /** {@link #daysToExpiry(Instant)} by the clock. */
  public long daysToExpiry(Clock clock) {
    return daysToExpiry(clock.instant());
  }

  /** True when {@code now} lies outside notBefore..notAfter. */
  public boolean isExpiredOrNotYetValid(Instant now) {
    return now.isAfter(notAfter) || now.isBefore(notBefore);
  }

  /** One log line, e.g. {@code "registry-1a2b3c4d [registry.example.com] RSA, expires 2026-01-01T00:00:00Z (in 42 days), from tls/registry.crt"}. */
  public String describe(Instant now) {
    long days = daysToExpiry(now);
    String when = days >= 0 ? "in " + days + " days" : "EXPIRED " + -days + " days ago";
    return alias + " " + hostNames + " " + keyType + ", expires " + notAfter + " (" + when
        + "), sha256 " + sha256 + ", from " + source;
  }

  /**
   * The names a leaf serves: its subjectAltName DNS entries, or when it has none its subject CN
   * (RFC 6125 6.4.4: the CN is only a fallback). Lower case, without a trailing dot, in
   * certificate order, without duplicates. IP address entries are not included: clients never
   * send an IP address as SNI (RFC 6066 3).
   */
  public static List<String> hostNames(X509Certificate leaf) {
    Set<String> names = new LinkedHashSet<>();
    Collection<List<?>> sans;
    try {
      sans = leaf.getSubjectAlternativeNames();
    } catch (CertificateParsingException e) {
      sans = null;
    }
    if (sans != null) {
      for (List<?> san : sans) {
        if (san.size() >= 2 && san.get(0) instanceof Integer type && type == SAN_DNS
            && san.get(1) instanceof String dns) {
          names.add(normalizeHost(dns));
        }
      }
    }
    if (names.isEmpty()) {
      String cn = commonName(leaf);
      if (cn != null) {
        names.add(normalizeHost(cn));
      }
    }
    names.remove("");
    return List.copyOf(names);
  }

  static String commonName(X509Certificate leaf) {
    try {
      List<Rdn> rdns = new ArrayList<>(new LdapName(leaf.getSubjectX500Principal().getName()).getRdns());
      // LdapName lists RDNs from the least significant; the most specific CN is the last one.
      for (int i = rdns.size() - 1; i >= 0; i--) {
        if ("CN".equalsIgnoreCase(rdns.get(i).getType())) {
          return String.valueOf(rdns.get(i).getValue());
        }
      }
    } catch (InvalidNameException e) {
      return null;
    }
    return null;
  }

  /** Lower case, trimmed, without a trailing dot: how names are compared everywhere here. */
  static String normalizeHost(String host) {
    String h = host.trim().toLowerCase(Locale.ROOT);
    return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
  }

  static String sha256(X509Certificate certificate) {
    try {
      return HexFormat.of()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded()));
    } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
      throw new IllegalStateException("cannot fingerprint " + certificate.getSubjectX500Principal(), e);
    }
  }
}
