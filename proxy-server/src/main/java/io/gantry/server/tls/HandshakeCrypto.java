package io.gantry.server.tls;

import java.security.Principal;
import java.security.PrivateKey;
import java.net.Socket;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * BouncyCastle's ECDSA and X25519 for the handshakes of the JDK's TLS ({@link EcdsaSigning},
 * {@link X25519KeyExchange}), prepared off the start path. bcprov is a signed jar: the first
 * class taken from it makes the JVM verify the whole jar (0.9-1.2 s on one core, measured for
 * issue 6), and signed jars never enter the class-data archive. So gantry starts without it,
 * {@link #prepare()} runs once the listeners are up, and handshakes before that use the JDK's own
 * code (correct, only slower).
 */
public final class HandshakeCrypto {
  /** What {@link #prepare()} put into use, for its callers' logs; only touched under the class's lock. */
  private static String description;
  private static volatile boolean ready;

  private HandshakeCrypto() {}

  /**
   * Loads and checks BouncyCastle's ECDSA and X25519 and puts them into use for the next
   * handshakes. Safe to call more than once and from any thread; the first call does the work.
   *
   * @return what the handshakes use from now on, for the log
   */
  public static synchronized String prepare() {
    if (!ready) {
      EcdsaSigning.prepare();
      Optional<String> x25519 = X25519KeyExchange.install();
      description = x25519.map(why -> "ECDSA signatures by BouncyCastle, X25519 by the JDK: " + why)
          .orElse("ECDSA signatures and X25519 by BouncyCastle");
      ready = true;
    }
    return description;
  }

  /** {@code keys}, whose EC private keys sign through {@link EcdsaSigning} once it is prepared. */
  static X509ExtendedKeyManager keyManager(X509ExtendedKeyManager keys) {
    return new SigningKeyManager(keys);
  }

  /** The JDK's key manager, with {@link EcdsaSigning}'s keys in place of the EC keys it signs. */
  private static final class SigningKeyManager extends X509ExtendedKeyManager {
    private final X509ExtendedKeyManager keys;
    private final Map<String, PrivateKey> signingKeys = new ConcurrentHashMap<>();

    SigningKeyManager(X509ExtendedKeyManager keys) {
      this.keys = keys;
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      if (!ready) {
        return keys.getPrivateKey(alias); // the JDK signs until BouncyCastle is loaded
      }
      PrivateKey key = signingKeys.get(alias);
      if (key == null) {
        PrivateKey original = keys.getPrivateKey(alias);
        if (original == null) {
          return null;
        }
        key = signingKeys.computeIfAbsent(alias, a -> EcdsaSigning.signingKey(original));
      }
      return key;
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
      return keys.getClientAliases(keyType, issuers);
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
      return keys.chooseClientAlias(keyType, issuers, socket);
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
      return keys.getServerAliases(keyType, issuers);
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
      return keys.chooseServerAlias(keyType, issuers, socket);
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      return keys.getCertificateChain(alias);
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
      return keys.chooseEngineClientAlias(keyType, issuers, engine);
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
      return keys.chooseEngineServerAlias(keyType, issuers, engine);
    }
  }
}
