package io.gantry.server.tls;

import io.gantry.server.config.TlsConfig;
import java.util.Locale;

/**
 * The TLS provider of tests that build their SSL factory themselves, as configured for the run:
 * the {@code GANTRY_TLS_PROVIDER} system property (the {@code tls-conscrypt} surefire execution
 * sets it), else gantry's default (the JDK). Tests that load a configuration file get
 * the same through reference.conf's {@code provider = ${?GANTRY_TLS_PROVIDER}}.
 */
public final class TestTls {
  private TestTls() {}

  public static TlsProvider provider() {
    String name = System.getProperty("GANTRY_TLS_PROVIDER", "jdk");
    return TlsProvider.select(TlsConfig.Provider.valueOf(name.trim().toUpperCase(Locale.ROOT)));
  }
}
