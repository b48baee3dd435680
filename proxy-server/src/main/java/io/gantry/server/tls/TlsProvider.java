package io.gantry.server.tls;

import io.gantry.server.config.TlsConfig;
import java.security.Provider;
import java.util.Objects;
import org.conscrypt.Conscrypt;

/**
 * The TLS implementation of gantry's listeners: the JDK's own (JSSE), or Conscrypt, which runs
 * the handshake and the record layer in BoringSSL. Conscrypt's native library ships inside its
 * jar for Linux, macOS and Windows on x86_64 only; elsewhere, or where it cannot be loaded (a
 * {@code noexec} temporary directory), {@link TlsConfig.Provider#AUTO} falls back to the JDK.
 *
 * <pre>{@code
 * TlsProvider provider = TlsProvider.select(TlsConfig.Provider.AUTO);
 * LOG.info("TLS by {}", provider);   // Conscrypt 2.5.2 (BoringSSL), or JDK (...why not Conscrypt)
 * GantrySslContextFactory ssl = SslContextFactories.server(store, provider);
 * }</pre>
 *
 * <p>Conscrypt is not registered with {@link java.security.Security}: only the listeners' SSL
 * contexts use it, so the HTTPS client to upstreams and everything else keep the JDK's providers.
 */
public final class TlsProvider {
  /** The JDK's JSSE, chosen in the configuration. */
  public static final TlsProvider JDK = new TlsProvider("JDK", null);

  private final String description;
  private final Provider jsse;

  private TlsProvider(String description, Provider jsse) {
    this.description = description;
    this.jsse = jsse;
  }

  /**
   * The implementation for {@code choice}. Conscrypt's native library is loaded at most once per
   * JVM, and only for {@code auto} or {@code conscrypt}.
   *
   * @throws IllegalStateException for {@code conscrypt} where Conscrypt cannot run
   */
  public static TlsProvider select(TlsConfig.Provider choice) {
    Objects.requireNonNull(choice, "choice");
    return switch (choice) {
      case JDK -> JDK;
      case CONSCRYPT -> {
        if (Loaded.CONSCRYPT == null) {
          throw new IllegalStateException("gantry.tls.provider = conscrypt, but Conscrypt cannot run here: "
              + Loaded.FAILURE + " (expected: auto or jdk on this platform)");
        }
        yield Loaded.CONSCRYPT;
      }
      case AUTO -> Loaded.CONSCRYPT != null ? Loaded.CONSCRYPT
          : new TlsProvider("JDK (Conscrypt unavailable: " + Loaded.FAILURE + ")", null);
    };
  }

  /** Whether the listeners run on Conscrypt. */
  public boolean isConscrypt() {
    return jsse != null;
  }

  /** The provider of the listeners' {@code SSLContext}; {@code null} for the JDK's default. */
  Provider jsse() {
    return jsse;
  }

  /** What the start-up log says: which implementation, and for a fallback why. */
  @Override
  public String toString() {
    return description;
  }

  /** Conscrypt, loaded on first use: a JVM that is told {@code jdk} never maps BoringSSL. */
  private static final class Loaded {
    static final TlsProvider CONSCRYPT;
    static final String FAILURE;

    static {
      TlsProvider conscrypt = null;
      String failure = null;
      try {
        Conscrypt.checkAvailability();
        Conscrypt.Version v = Conscrypt.version();
        conscrypt = new TlsProvider("Conscrypt " + v.major() + "." + v.minor() + "." + v.patch() + " (BoringSSL)",
            Conscrypt.newProvider());
      } catch (Throwable e) {
        // UnsatisfiedLinkError (no library for this OS/CPU, noexec tmp), NoClassDefFoundError
        // (an embedder left the jar out): both mean "use the JDK", with the reason logged.
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
          root = root.getCause();
        }
        failure = root.getClass().getSimpleName() + ": " + root.getMessage();
      }
      CONSCRYPT = conscrypt;
      FAILURE = failure;
    }
  }
}
