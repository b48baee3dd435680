package io.gantry.server.config;

import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import io.gantry.proxy.route.RouteStrategies;
import io.gantry.server.config.ConfigValues.Item;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** Reads {@code gantry.tls}; {@code self-signed = true} takes {@code gantry.defaults.self-signed}. */
final class TlsReader {
  private static final List<String> KEYS = List.of("certificates", "default-certificate", "self-signed", "provider");
  private static final List<String> PROVIDERS =
      Arrays.stream(TlsConfig.Provider.values()).map(TlsConfig.Provider::key).toList();
  private static final List<String> SELF_SIGNED_KEYS = List.of("hosts", "dir");
  private static final List<String> CERTIFICATE_KEYS = List.of("cert", "key", "keystore", "password");

  private final ConfigValues values;
  private final Problems problems;

  TlsReader(ConfigValues values) {
    this.values = values;
    this.problems = values.problems();
  }

  /** The TLS block; TLS listeners without any certificate are reported here. */
  TlsConfig read(Block root, Block selfSignedDefaults, List<ListenerConfig> listeners) {
    values.checkKeys(selfSignedDefaults, SELF_SIGNED_KEYS);
    Block t = values.object(root, "tls");
    values.checkKeys(t, KEYS);
    List<CertificateConfig> certificates = new ArrayList<>();
    List<Block> elements = values.objects(t, "certificates",
        "{ cert = file.pem, key = file.key } or { keystore = file.p12, password = ... }");
    for (Block c : elements == null ? List.<Block>of() : elements) {
      values.checkKeys(c, CERTIFICATE_KEYS);
      CertificateConfig cert = certificate(c);
      if (cert != null) {
        certificates.add(cert);
      }
    }
    String defaultCertificate = values.string(t, "default-certificate", false, "a host name such as registry.example.com");
    if (defaultCertificate != null) {
      try {
        RouteStrategies.host(defaultCertificate);
      } catch (IllegalArgumentException e) {
        problems.rejected(t.get("default-certificate").origin(), t.at("default-certificate"), e);
      }
    }
    String provider = values.choice(t, "provider", PROVIDERS);
    TlsConfig.SelfSigned selfSigned = selfSigned(t, selfSignedDefaults);
    if (selfSigned != null && !certificates.isEmpty()) {
      problems.warn(t.get("self-signed").origin(), t.at("self-signed"),
          "ignored because certificates are configured (expected: either certificates or self-signed)");
    }
    // Certificates that are listed but broken were reported already: no second error per listener.
    boolean hasCertificates = !certificates.isEmpty() || selfSigned != null
        || (elements != null && !elements.isEmpty());
    if (!hasCertificates) {
      for (ListenerConfig l : listeners) {
        if (l.tls()) {
          problems.error(problems.origin(l.file(), l.line()), "gantry.listeners[" + listeners.indexOf(l) + "]",
              "TLS listener '" + l.name() + "' has no certificate (expected: gantry.tls.certificates,"
                  + " gantry.tls.self-signed, or tls = false on the listener)");
        }
      }
    }
    return new TlsConfig(certificates, defaultCertificate, selfSigned,
        provider == null ? TlsConfig.Provider.JDK : TlsConfig.Provider.valueOf(provider.toUpperCase(Locale.ROOT)));
  }

  /** PEM files or a keystore, exactly one of them. */
  private CertificateConfig certificate(Block c) {
    String cert = values.string(c, "cert", false, "a PEM certificate file");
    String key = values.string(c, "key", false, "a PEM private key file");
    String keystore = values.string(c, "keystore", false, "a PKCS#12 or JKS keystore file");
    String password = values.string(c, "password", false, "the keystore password");
    String file = problems.fileOf(c.origin());
    int line = problems.lineOf(c.origin());
    if (keystore != null) {
      if (cert != null || key != null) {
        problems.error(c.origin(), c.path(), "has both a keystore and PEM files (expected: either cert and key, or keystore and password)");
        return null;
      }
      Path ks = values.file(c, "keystore", keystore, "a readable keystore file");
      return ks == null ? null : CertificateConfig.keystore(ks, password, file, line);
    }
    if (password != null) {
      problems.error(c.get("password").origin(), c.at("password"), "set without a keystore (expected: keystore = file.p12 beside it)");
    }
    if (cert == null && key == null) {
      // An element of only unknown keys was reported as such; "no certificate" would say it twice.
      if (c.own().keySet().stream().allMatch(CERTIFICATE_KEYS::contains)) {
        problems.error(c.origin(), c.path(), "no certificate (expected: { cert = file.pem, key = file.key } or { keystore = file.p12, password = ... })");
      }
      return null;
    }
    if (cert == null) {
      problems.error(c.origin(), c.at("cert"), "missing (expected: the PEM certificate chain file for key " + key + ")");
      return null;
    }
    if (key == null) {
      problems.error(c.origin(), c.at("key"), "missing (expected: the PEM private key file for cert " + cert + ")");
      return null;
    }
    Path certPath = values.file(c, "cert", cert, "a readable PEM certificate file");
    Path keyPath = values.file(c, "key", key, "a readable PEM private key file");
    return certPath == null || keyPath == null ? null : CertificateConfig.pem(certPath, keyPath, file, line);
  }

  /** {@code self-signed}: null or false for none, true for the defaults, or an object over them. */
  private TlsConfig.SelfSigned selfSigned(Block t, Block defaults) {
    ConfigValue v = t.get("self-signed");
    Block s;
    if (v == null || v.valueType() == ConfigValueType.NULL) {
      return null;
    } else if (v.valueType() == ConfigValueType.OBJECT) {
      s = new Block(t.at("self-signed"), (ConfigObject) v, defaults.own(), v.origin());
      values.checkKeys(s, SELF_SIGNED_KEYS);
    } else {
      Boolean on = values.bool(t, "self-signed", true);
      if (on == null || !on) {
        return null;
      }
      s = new Block(t.at("self-signed"), null, defaults.own(), v.origin());
    }
    List<Item> hosts = values.strings(s, "hosts", true);
    String dirName = values.string(s, "dir", true, "a directory for the generated certificate, such as tls");
    if (hosts == null || dirName == null) {
      return null;
    }
    if (hosts.isEmpty()) {
      problems.error(s.get("hosts").origin(), s.at("hosts"), "empty (expected: at least one host name such as localhost)");
      return null;
    }
    try {
      RouteStrategies.host(ConfigValues.values(hosts));
    } catch (IllegalArgumentException e) {
      problems.rejected(s.get("hosts").origin(), s.at("hosts"), e);
      return null;
    }
    Path d = values.path(s, "dir", dirName);
    return d == null ? null : new TlsConfig.SelfSigned(ConfigValues.listOf(hosts), d);
  }
}
