package io.gantry.server.tls;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.spec.PBEParameterSpec;
import org.eclipse.jetty.http2.HTTP2Cipher;

/**
 * Builds gantry's Jetty TLS pieces from a {@link CertificateStore}.
 *
 * <pre>{@code
 * GantrySslContextFactory ssl = SslContextFactories.server(store, TlsProvider.select(TlsConfig.Provider.AUTO));
 * HttpConfiguration https = new HttpConfiguration();
 * ServerConnector connector = new ServerConnector(server,
 *     new SslConnectionFactory(ssl, "http/1.1"), new HttpConnectionFactory(https));
 * }</pre>
 */
public final class SslContextFactories {
  private static final SecureRandom RANDOM = new SecureRandom();

  private SslContextFactories() {}

  /**
   * A server factory on {@code provider}'s TLS holding every certificate of the store in one
   * in-memory PKCS#12 key store, choosing per handshake with {@link CertificateStore#select(String)}: TLS 1.3 and 1.2 only,
   * HTTP/2-acceptable ciphers first (RFC 7540 9.2.2), no renegotiation, SNI optional.
   */
  public static GantrySslContextFactory server(CertificateStore store, TlsProvider provider) {
    byte[] pw = new byte[18];
    RANDOM.nextBytes(pw);
    GantrySslContextFactory factory =
        new GantrySslContextFactory(store, Base64.getEncoder().encodeToString(pw), provider);
    factory.setIncludeProtocols("TLSv1.3", "TLSv1.2");
    // Jetty's default cipher exclusions stay; ordering puts HTTP/2's acceptable ciphers first
    // so an ALPN "h2" connection never lands on a blacklisted cipher.
    factory.setCipherComparator(HTTP2Cipher.COMPARATOR);
    factory.setUseCipherSuitesOrder(true);
    // Clients without SNI (IP literals, old tools) get the default certificate.
    factory.setSniRequired(false);
    // TLS 1.2 renegotiation only serves attacks on a proxy (CVE-2011-1473 style DoS).
    factory.setRenegotiationAllowed(false);
    return factory;
  }

  /**
   * A PKCS#12 key store with each certificate under its alias, all keys under one password.
   *
   * <p>The store lives in memory only and its password is random, so its key encryption protects
   * nothing: one PBKDF2 iteration instead of the JDK's 10,000, which cost ~0.08 s of every start
   * on one core (measured), once to store each key and once more when the key manager reads it.
   */
  public static KeyStore keyStore(CertificateStore store, char[] password) {
    try {
      KeyStore keyStore = KeyStore.getInstance("PKCS12");
      keyStore.load(null, password);
      byte[] salt = new byte[16];
      RANDOM.nextBytes(salt);
      KeyStore.PasswordProtection protection = new KeyStore.PasswordProtection(
          password, "PBEWithHmacSHA256AndAES_256", new PBEParameterSpec(salt, 1));
      for (ServerCertificate c : store.certificates()) {
        keyStore.setEntry(c.alias(), new KeyStore.PrivateKeyEntry(c.privateKey(), c.chain()), protection);
      }
      return keyStore;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot build the in-memory key store for " + store, e);
    }
  }
}
