package io.gantry.server.tls;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The immutable set of server certificates of a listener, and the rule choosing one per TLS
 * handshake.
 *
 * <p>{@link #select(String)} for an SNI host name: the certificate naming it exactly, else the
 * one whose wildcard covers exactly its first label ({@code *.example.com} serves {@code
 * a.example.com}, but neither {@code example.com} nor {@code a.b.example.com}: RFC 6125 6.4.3),
 * else the default. The key type plays no part: an exact RSA certificate beats an EC wildcard.
 * Without SNI the default is served: the certificate of the configured default host, or the first.
 *
 * <p>Built once and checked then: two certificates for the same name are an error naming both
 * files; expired or not-yet-valid certificates are kept (a stale certificate beats a closed port)
 * and reported in {@link #warnings()}.
 *
 * <pre>{@code
 * CertificateStore store = CertificateStore.of(List.of(registry, wildcard), "registry.example.com");
 * store.warnings().forEach(LOG::warn);
 * ServerCertificate c = store.select("docker.example.com");
 * }</pre>
 */
public final class CertificateStore {
  private final List<ServerCertificate> certificates;
  private final Map<String, ServerCertificate> byAlias;
  private final Map<String, ServerCertificate> byExactName;
  /** Keyed by the wildcard's parent domain: {@code "example.com"} for {@code *.example.com}. */
  private final Map<String, ServerCertificate> byWildcardParent;
  private final ServerCertificate defaultCertificate;
  private final List<String> warnings;
  private final String toString;

  private CertificateStore(List<ServerCertificate> input, String defaultHost, Instant now) {
    if (input.isEmpty()) {
      throw new IllegalArgumentException("certificates: none (expected: at least one)");
    }
    List<ServerCertificate> certs = new ArrayList<>(input.size());
    Map<String, ServerCertificate> aliases = new LinkedHashMap<>();
    Map<String, ServerCertificate> exact = new HashMap<>();
    Map<String, ServerCertificate> wild = new HashMap<>();
    Map<String, ServerCertificate> claimed = new HashMap<>();
    List<String> errors = new ArrayList<>();
    List<String> warn = new ArrayList<>();
    for (ServerCertificate c : input) {
      ServerCertificate cert = c;
      // Aliases carry a fingerprint, so a clash means the same certificate twice or a caller's
      // own aliases: keep both under distinct aliases, the name check below reports real clashes.
      String alias = cert.alias();
      for (int i = 2; aliases.containsKey(alias); i++) {
        alias = cert.alias() + "-" + i;
      }
      if (!alias.equals(cert.alias())) {
        cert = cert.withAlias(alias);
      }
      aliases.put(alias, cert);
      certs.add(cert);
      Set<String> seen = new HashSet<>();
      for (String name : cert.hostNames()) {
        if (!seen.add(name)) {
          continue;
        }
        ServerCertificate previous = claimed.putIfAbsent(name, cert);
        if (previous != null) {
          errors.add("host name '" + name + "' is served by two certificates: " + previous.source()
              + " and " + cert.source() + " (expected: one certificate per name)");
          continue;
        }
        if (name.startsWith("*.") && name.indexOf('*', 1) < 0 && name.length() > 2) {
          wild.put(name.substring(2), cert);
        } else if (name.indexOf('*') < 0) {
          exact.put(name, cert);
        } else {
          warn.add("certificate " + cert.alias() + " (" + cert.source() + "): name '" + name
              + "' is a partial wildcard and is never selected (expected: '*.' + domain)");
        }
      }
      if (cert.hostNames().isEmpty()) {
        warn.add("certificate " + cert.alias() + " (" + cert.source()
            + ") has no DNS name; it is only served as the default");
      }
      if (now.isAfter(cert.notAfter())) {
        warn.add("certificate " + cert.alias() + " " + cert.hostNames() + " (" + cert.source()
            + ") expired on " + cert.notAfter());
      } else if (now.isBefore(cert.notBefore())) {
        warn.add("certificate " + cert.alias() + " " + cert.hostNames() + " (" + cert.source()
            + ") is not valid before " + cert.notBefore());
      }
    }
    if (!errors.isEmpty()) {
      throw new IllegalArgumentException(String.join("\n", errors));
    }
    this.certificates = List.copyOf(certs);
    this.byAlias = Map.copyOf(aliases);
    this.byExactName = Map.copyOf(exact);
    this.byWildcardParent = Map.copyOf(wild);
    if (defaultHost == null || defaultHost.isBlank()) {
      this.defaultCertificate = certificates.get(0);
    } else {
      ServerCertificate match = match(CertificateInfo.normalizeHost(defaultHost));
      if (match == null) {
        throw new IllegalArgumentException("default host: " + defaultHost
            + " (expected: a name served by one of the certificates: " + allNames() + ")");
      }
      this.defaultCertificate = match;
    }
    this.warnings = List.copyOf(warn);
    this.toString = "CertificateStore" + certificates.stream()
        .map(c -> c.alias() + "=" + c.hostNames() + (c == defaultCertificate ? "(default)" : ""))
        .toList();
  }

  /** A store whose default is the first certificate; validity is checked against now. */
  public static CertificateStore of(List<ServerCertificate> certificates) {
    return of(certificates, null, Clock.systemUTC());
  }

  /** A store whose default is the certificate serving {@code defaultHost} (null: the first). */
  public static CertificateStore of(List<ServerCertificate> certificates, String defaultHost) {
    return of(certificates, defaultHost, Clock.systemUTC());
  }

  /**
   * The full form.
   *
   * @throws IllegalArgumentException for no certificate, a name served twice (all of them, with
   *     both files each), or a default host no certificate serves
   */
  public static CertificateStore of(
      List<ServerCertificate> certificates, String defaultHost, Clock clock) {
    return new CertificateStore(certificates, defaultHost, clock.instant());
  }

  /**
   * The certificate for an SNI host name: exact, then single-label wildcard, then the default.
   * Null or empty {@code sniHost} (no SNI) gives the default. Never null.
   */
  public ServerCertificate select(String sniHost) {
    if (sniHost == null || sniHost.isEmpty()) {
      return defaultCertificate;
    }
    ServerCertificate match = match(CertificateInfo.normalizeHost(sniHost));
    return match != null ? match : defaultCertificate;
  }

  /** The certificate serving the name, exactly or by wildcard, without falling back. */
  public Optional<ServerCertificate> find(String host) {
    return Optional.ofNullable(host == null ? null : match(CertificateInfo.normalizeHost(host)));
  }

  private ServerCertificate match(String host) {
    ServerCertificate exact = byExactName.get(host);
    if (exact != null) {
      return exact;
    }
    int dot = host.indexOf('.');
    // The wildcard stands for exactly one non-empty label.
    if (dot <= 0 || dot == host.length() - 1) {
      return null;
    }
    return byWildcardParent.get(host.substring(dot + 1));
  }

  /** The certificate under a key store alias, if any. */
  public Optional<ServerCertificate> byAlias(String alias) {
    return Optional.ofNullable(alias == null ? null : byAlias.get(alias));
  }

  /** All certificates, in the order given, with unique aliases. */
  public List<ServerCertificate> certificates() {
    return certificates;
  }

  /** What is served without SNI or for an unknown name. */
  public ServerCertificate defaultCertificate() {
    return defaultCertificate;
  }

  /** Problems worth logging that do not stop the listener: expired or not yet valid, etc. */
  public List<String> warnings() {
    return warnings;
  }

  private List<String> allNames() {
    return certificates.stream().flatMap(c -> c.hostNames().stream()).toList();
  }

  @Override
  public String toString() {
    return toString;
  }
}
