/**
 * TLS for gantry's listeners: certificates from PEM or PKCS#12, an immutable {@link
 * io.gantry.server.tls.CertificateStore} that picks the certificate for an SNI host name (exact
 * name first, then a single-label wildcard, whatever the key type), and a Jetty {@code
 * SslContextFactory.Server} built from it whose certificate set can be swapped at runtime, on the
 * JDK's TLS or on Conscrypt's ({@link io.gantry.server.tls.TlsProvider}).
 *
 * <pre>{@code
 * ServerCertificate registry = CertificateLoader.loadPem(Path.of("tls/registry.crt"), Path.of("tls/registry.key"), null);
 * ServerCertificate wildcard = CertificateLoader.loadPkcs12(Path.of("tls/wildcard.p12"), "secret".toCharArray());
 * CertificateStore store = CertificateStore.of(List.of(registry, wildcard), "registry.example.com");
 * store.warnings().forEach(LOG::warn);
 * GantrySslContextFactory ssl = SslContextFactories.server(store, TlsProvider.select(TlsConfig.Provider.AUTO));
 * // later, after the files changed:
 * ssl.reload(CertificateStore.of(reloadedCertificates, "registry.example.com"));
 * }</pre>
 */
package io.gantry.server.tls;
