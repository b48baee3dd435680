package io.gantry.server.tls;

import java.security.Principal;
import java.util.Collection;
import java.util.function.Supplier;
import javax.net.ssl.SSLSession;
import org.eclipse.jetty.util.ssl.SniX509ExtendedKeyManager;
import org.eclipse.jetty.util.ssl.X509;

/**
 * Jetty's SNI hook answered by {@link CertificateStore#select(String)}.
 *
 * <p>The JDK asks the key manager once per key type the client accepts (EC first, then RSA),
 * each time offering only the certificates of that type. Jetty's own selector picks the best
 * match <em>within</em> the offered type, so an EC wildcard beats an exact RSA name. Here the
 * store decides across all types, and the answer is given only when the asked type is the chosen
 * certificate's; for the other types the answer is "none", so the JDK goes on to ask for the
 * chosen certificate's type.
 */
final class StoreSniSelector implements SniX509ExtendedKeyManager.SniSelector {
  private final Supplier<CertificateStore> store;

  StoreSniSelector(Supplier<CertificateStore> store) {
    this.store = store;
  }

  @Override
  public String sniSelect(
      String keyType,
      Principal[] issuers,
      SSLSession session,
      String sniHost,
      Collection<X509> certificates) {
    String wanted = store.get().select(sniHost).alias();
    for (X509 x509 : certificates) {
      if (wanted.equals(x509.getAlias())) {
        return wanted;
      }
    }
    return null;
  }

  @Override
  public String toString() {
    return "StoreSniSelector[" + store.get() + "]";
  }
}
