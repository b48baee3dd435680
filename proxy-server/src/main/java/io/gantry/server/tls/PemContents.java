package io.gantry.server.tls;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;

/** What a pair of PEM files holds: the certificate chain, leaf first, and its private key. */
record PemContents(X509Certificate[] chain, PrivateKey key) {}
