package io.gantry.server.tls;

import java.security.KeyStore;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CRL;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSession;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import javax.net.ssl.X509ExtendedKeyManager;
import org.eclipse.jetty.util.ssl.SniX509ExtendedKeyManager;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.ssl.X509;

/**
 * Jetty's server-side TLS factory serving the certificates of a {@link CertificateStore}, chosen
 * per handshake by {@link CertificateStore#select(String)}. Create it with {@link
 * SslContextFactories#server(CertificateStore)}; swap the certificates of a running listener with
 * {@link #reload(CertificateStore)}.
 *
 * <p>Two changes to Jetty's {@code SslContextFactory.Server}, both so that the store alone
 * decides: its SNI key manager is always installed (Jetty skips it for one certificate with one
 * name), and certificates carrying the keyCertSign key usage, which Jetty leaves out of its SNI
 * map, are offered like any other.
 */
public final class GantrySslContextFactory extends SslContextFactory.Server {
  private final String keyStorePassword;
  private final TlsProvider provider;
  private final Map<String, X509> signingLeaves = new ConcurrentHashMap<>();
  private volatile CertificateStore store;

  GantrySslContextFactory(CertificateStore store, String keyStorePassword, TlsProvider provider) {
    this.store = Objects.requireNonNull(store, "store");
    this.keyStorePassword = keyStorePassword;
    this.provider = Objects.requireNonNull(provider, "provider");
    setKeyStore(SslContextFactories.keyStore(store, keyStorePassword.toCharArray()));
    setKeyStorePassword(keyStorePassword);
    setSNISelector(new StoreSniSelector(this::certificateStore));
  }

  /** The TLS implementation of the handshakes. */
  public TlsProvider provider() {
    return provider;
  }

  /** The certificates served now. */
  public CertificateStore certificateStore() {
    return store;
  }

  /**
   * Serves {@code newStore} from the next handshake on; established connections keep theirs.
   * A failure leaves the previous certificates in place.
   */
  public void reload(CertificateStore newStore) throws Exception {
    Objects.requireNonNull(newStore, "newStore");
    KeyStore keyStore = SslContextFactories.keyStore(newStore, keyStorePassword.toCharArray());
    CertificateStore previous = store;
    try {
      reload(factory -> {
        store = newStore;
        signingLeaves.clear();
        factory.setKeyStore(keyStore);
      });
    } catch (Exception | Error e) {
      store = previous;
      throw e;
    }
  }

  /**
   * Conscrypt's context when it is the provider. Given as an object rather than by name through
   * {@code setProvider}, which would need it registered JVM-wide; key and trust managers stay the
   * JDK's, which Conscrypt calls for the SNI selection and client certificates.
   */
  @Override
  protected SSLContext getSSLContextInstance() throws NoSuchAlgorithmException {
    return provider.jsse() == null ? super.getSSLContextInstance() : SSLContext.getInstance(getProtocol(), provider.jsse());
  }

  @Override
  protected KeyManager[] getKeyManagers(KeyStore keyStore) throws Exception {
    KeyManager[] managers = super.getKeyManagers(keyStore);
    for (int i = 0; i < managers.length; i++) {
      if (managers[i] instanceof X509ExtendedKeyManager manager
          && !(manager instanceof SniX509ExtendedKeyManager)) {
        managers[i] = newSniX509ExtendedKeyManager(manager);
      }
    }
    return managers;
  }

  /** Jetty's SNI key manager (whichever path installs it) over keys that sign fast on the JDK. */
  @Override
  protected X509ExtendedKeyManager newSniX509ExtendedKeyManager(X509ExtendedKeyManager keyManager) {
    // Conscrypt signs in BoringSSL already; JSSE would sign EC keys with the JDK's ECDSA, 6x
    // slower than BouncyCastle's on JDK 17.
    return super.newSniX509ExtendedKeyManager(provider.jsse() == null ? HandshakeCrypto.keyManager(keyManager) : keyManager);
  }

  @Override
  protected TrustManager[] getTrustManagers(KeyStore trustStore, Collection<? extends CRL> crls) throws Exception {
    if (trustStore != null || getNeedClientAuth() || getWantClientAuth()) {
      return super.getTrustManagers(trustStore, crls);
    }
    // No client certificate is ever asked for, so nothing is verified against a trust store; left
    // to itself the JDK would load its own (~140 CA certificates) at every start.
    return new TrustManager[] {NO_CLIENT_CERTIFICATES};
  }

  /**
   * The client's certificates, for the request attribute; none unless they are asked for. Jetty
   * asks the session on every connection's first request, and a session without them answers
   * with an exception: a stack trace per connection (2.4% of a Conscrypt handshake's profile).
   */
  @Override
  public X509Certificate[] getX509CertChain(SSLSession session) {
    return getNeedClientAuth() || getWantClientAuth() ? super.getX509CertChain(session) : null;
  }

  /** Trusts no client certificate: the server never asks for one. */
  private static final X509TrustManager NO_CLIENT_CERTIFICATES = new X509TrustManager() {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      throw new CertificateException("gantry does not accept client certificates");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      throw new CertificateException("a server-side trust manager verifies no servers");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  };

  @Override
  public X509 getX509(String alias) {
    X509 x509 = super.getX509(alias);
    if (x509 != null || alias == null) {
      return x509;
    }
    // Jetty skips leaves with keyCertSign (some self-made certificates carry it); gantry's
    // selection does not look at key usage, so give Jetty's key manager a view of them too.
    return store.byAlias(alias)
        .map(c -> signingLeaves.computeIfAbsent(alias, a -> new X509(a, c.leaf())))
        .orElse(null);
  }

  @Override
  public String toString() {
    return "GantrySslContextFactory[" + provider + ", " + store + "]";
  }
}
