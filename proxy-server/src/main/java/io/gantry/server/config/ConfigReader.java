package io.gantry.server.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigOriginFactory;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import io.gantry.proxy.header.ForwardedHeaders;
import io.gantry.proxy.route.RouteStrategies;
import io.gantry.proxy.route.RouteStrategy;
import io.gantry.proxy.upstream.Upstream;
import io.gantry.server.config.ConfigProblem.Severity;
import io.gantry.server.config.RouteConfig.HeaderMatch;
import io.gantry.server.config.RouteConfig.TextMatch;
import io.gantry.server.config.RouteConfig.UserStrategy;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One reading of one file: walks the resolved {@code gantry} block, collects every problem and
 * builds the records. Not thread-safe; {@link ConfigLoader} makes one per load.
 */
final class ConfigReader {
  private static final List<String> GANTRY_KEYS = List.of("listeners", "tls", "upstreams", "routes",
      "trusted-proxies", "admin", "access-log", "shutdown-grace", "max-queued-per-upstream", "engine", "max-threads", "defaults");
  private static final List<String> DEFAULTS_KEYS = List.of("listener", "upstream", "route", "self-signed");
  private static final List<String> LISTENER_KEYS = List.of("name", "port", "host", "tls", "redirect-to", "hsts", "http2");
  private static final List<String> LISTENER_DEFAULT_KEYS = List.of("host", "tls", "hsts", "http2");
  private static final List<String> HSTS_KEYS = List.of("enabled", "max-age", "include-subdomains");
  private static final List<String> TLS_KEYS = List.of("certificates", "default-certificate", "self-signed");
  private static final List<String> CERTIFICATE_KEYS = List.of("cert", "key", "keystore", "password");
  private static final List<String> SELF_SIGNED_KEYS = List.of("hosts", "dir");
  private static final List<String> UPSTREAM_KEYS = List.of("url", "connect-timeout", "idle-timeout", "ca");
  private static final List<String> UPSTREAM_DEFAULT_KEYS = List.of("connect-timeout", "idle-timeout");
  private static final List<String> ROUTE_KEYS = List.of("name", "listener", "host", "method", "path",
      "user-agent", "header", "strategy", "to", "allow-encoded-slashes");
  private static final List<String> ROUTE_DEFAULT_KEYS = List.of("allow-encoded-slashes");
  private static final List<String> TEXT_MATCH_KEYS = List.of("contains", "regex");
  private static final List<String> HEADER_KEYS = List.of("name", "contains", "regex");
  private static final List<String> STRATEGY_KEYS = List.of("class", "config");
  private static final List<String> ADMIN_KEYS = List.of("enabled", "host", "port");
  private static final List<String> ACCESS_LOG_KEYS = List.of("enabled", "format", "path");

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]*");
  private static final Pattern CLASS_NAME =
      Pattern.compile("\\p{javaJavaIdentifierStart}\\p{javaJavaIdentifierPart}*(\\.\\p{javaJavaIdentifierStart}\\p{javaJavaIdentifierPart}*)*(\\$\\p{javaJavaIdentifierPart}+)*");
  private static final Set<String> WILDCARD_ADDRESSES = Set.of("", "0.0.0.0", "::", "[::]", "*");
  private static final String PORT = "a port number 1-65535, or 0 for any free port";

  private final String fileName;
  private final Path file;
  private final Path dir;
  private final boolean checkFiles;
  private final List<ConfigProblem> problems = new ArrayList<>();
  private int rootLine = 1;

  ConfigReader(String fileName, Path absoluteFile, boolean checkFiles) {
    this.fileName = fileName;
    this.file = absoluteFile;
    Path parent = absoluteFile.getParent();
    this.dir = parent != null ? parent : absoluteFile.toAbsolutePath();
    this.checkFiles = checkFiles;
  }

  List<ConfigProblem> problems() {
    return problems;
  }

  /** The configuration, or {@code null} when there are errors (then see {@link #problems()}). */
  GantryConfig read(Config parsed, Config resolved) {
    ConfigObject userRoot = parsed.root();
    for (String key : userRoot.keySet()) {
      if (!key.equals("gantry")) {
        warn(userRoot.get(key).origin(), quote(key), "unknown top-level key, ignored"
            + Suggestions.expectedOneOf(key, List.of("gantry")));
      }
    }
    ConfigValue userGantry = userRoot.get("gantry");
    if (userGantry == null) {
      error(null, "gantry", "missing (expected: a gantry { ... } block)");
    } else {
      rootLine = Math.max(1, userGantry.origin().lineNumber());
    }
    ConfigValue gantryValue = resolved.root().get("gantry");
    if (gantryValue == null || gantryValue.valueType() != ConfigValueType.OBJECT) {
      error(gantryValue == null ? null : gantryValue.origin(), "gantry",
          describe(gantryValue) + " (expected: an object: gantry { ... })");
      return finish(null);
    }
    Obj root = new Obj("gantry", (ConfigObject) gantryValue, null, gantryValue.origin());
    checkKeys(root, GANTRY_KEYS);

    Obj defaults = object(root, "defaults");
    checkKeys(defaults, DEFAULTS_KEYS);
    Obj listenerDefaults = object(defaults, "listener");
    checkKeys(listenerDefaults, LISTENER_DEFAULT_KEYS);
    Obj upstreamDefaults = object(defaults, "upstream");
    checkKeys(upstreamDefaults, UPSTREAM_DEFAULT_KEYS);
    Obj routeDefaults = object(defaults, "route");
    checkKeys(routeDefaults, ROUTE_DEFAULT_KEYS);
    Obj selfSignedDefaults = object(defaults, "self-signed");
    checkKeys(selfSignedDefaults, SELF_SIGNED_KEYS);

    Set<String> listenerNames = new LinkedHashSet<>();
    List<ListenerConfig> listeners = readListeners(root, listenerDefaults, listenerNames);
    TlsConfig tls = readTls(root, selfSignedDefaults, listeners);
    Set<String> upstreamNames = new LinkedHashSet<>();
    Map<String, UpstreamConfig> upstreams = readUpstreams(root, upstreamDefaults, upstreamNames);
    List<RouteConfig> routes = readRoutes(root, routeDefaults, listenerNames, upstreamNames);
    List<String> trustedProxies = readTrustedProxies(root);
    AdminConfig admin = readAdmin(root, listeners);
    AccessLogConfig accessLog = readAccessLog(root);
    Duration shutdownGrace = duration(root, "shutdown-grace", false);
    Integer maxQueued = integer(root, "max-queued-per-upstream", true, "a number of requests >= 1");
    if (maxQueued != null && maxQueued < 1) {
      error(root.get("max-queued-per-upstream").origin(), root.at("max-queued-per-upstream"),
          maxQueued + " (expected: a number of requests >= 1)");
    }
    GantryConfig.Engine engine = readEngine(root);
    Integer maxThreads = integer(root, "max-threads", true, "a number of threads >= 16");
    if (maxThreads != null && maxThreads < 16) {
      error(root.get("max-threads").origin(), root.at("max-threads"),
          maxThreads + " (expected: a number of threads >= 16; acceptors and selectors take some)");
    }
    checkUnused(upstreams, routes);
    for (RouteShadowing.Shadow s : RouteShadowing.find(routes)) {
      warn(origin(s.shadowed().file(), s.shadowed().line()), "gantry.routes[" + s.shadowed().index() + "]",
          "route '" + s.shadowed().name() + "' can never match: route '" + s.earlier().name() + "' (line "
              + s.earlier().line() + ") comes first and matches every request this one would"
              + " (expected: more specific routes before more general ones)");
    }
    if (problems.stream().anyMatch(ConfigProblem::isError)) {
      return finish(null);
    }
    List<ConfigProblem> warnings = sorted();
    return finish(new GantryConfig(file, listeners, tls, upstreams,
        routes, trustedProxies, admin, accessLog, shutdownGrace, maxQueued, engine, maxThreads, warnings));
  }

  private GantryConfig finish(GantryConfig config) {
    List<ConfigProblem> s = sorted();
    problems.clear();
    problems.addAll(s);
    return config;
  }

  private List<ConfigProblem> sorted() {
    List<ConfigProblem> list = new ArrayList<>(problems);
    list.sort(Comparator.comparing((ConfigProblem p) -> !p.file().equals(fileName))
        .thenComparing(ConfigProblem::file)
        .thenComparingInt(ConfigProblem::line));
    return list;
  }

  // ---------------------------------------------------------------- listeners

  private List<ListenerConfig> readListeners(Obj root, Obj defaults, Set<String> names) {
    List<ListenerConfig> out = new ArrayList<>();
    List<Obj> elements = objects(root, "listeners", "a listener such as { name = https, port = 443 }");
    if (elements == null) {
      return out;
    }
    if (elements.isEmpty()) {
      error(root.get("listeners").origin(), root.at("listeners"), "empty (expected: at least one listener)");
    }
    Map<String, Obj> byName = new HashMap<>();
    List<Object[]> bound = new ArrayList<>(); // {host, port, path, line}
    for (Obj l : elements) {
      Obj e = new Obj(l.path, l.own, defaults.own, l.origin);
      checkKeys(e, LISTENER_KEYS);
      String name = name(e, "name", "a listener name such as https");
      if (name != null) {
        Obj earlier = byName.putIfAbsent(name, e);
        if (earlier != null) {
          error(e.get("name").origin(), e.at("name"), "'" + name + "' is already the name of " + earlier.path
              + " (line " + earlier.origin.lineNumber() + ") (expected: unique listener names)");
        }
        names.add(name);
      }
      Integer port = port(e, "port", true);
      String host = string(e, "host", true, "a bind address such as 0.0.0.0 or 127.0.0.1");
      Boolean tls = bool(e, "tls", true);
      Integer redirectTo = null;
      if (e.has("redirect-to")) {
        redirectTo = port(e, "redirect-to", false);
        if (redirectTo != null && redirectTo == 0) {
          error(e.get("redirect-to").origin(), e.at("redirect-to"), "0 (expected: the https port to redirect to, 1-65535)");
          redirectTo = null;
        } else if (redirectTo != null && Boolean.TRUE.equals(tls)) {
          error(e.get("redirect-to").origin(), e.at("redirect-to"),
              "set on a TLS listener (expected: only on a plain listener, tls = false)");
        }
      }
      Boolean http2 = bool(e, "http2", true);
      if (Boolean.TRUE.equals(http2) && Boolean.FALSE.equals(tls) && e.own.containsKey("http2")) {
        warn(e.own.get("http2").origin(), e.at("http2"), "ignored on a plain listener, which speaks HTTP/1.1"
            + " (expected: http2 on a TLS listener)");
      }
      ListenerConfig.Hsts hsts = hsts(e);
      if (hsts != null && hsts.enabled() && Boolean.FALSE.equals(tls) && e.own.containsKey("hsts")) {
        warn(e.own.get("hsts").origin(), e.at("hsts"), "ignored on a plain listener: browsers ignore"
            + " Strict-Transport-Security over http, RFC 6797 section 8.1 (expected: hsts on a TLS listener)");
      }
      if (port != null && host != null && port != 0) {
        for (Object[] b : bound) {
          String otherHost = (String) b[0];
          if ((int) b[1] == port && (otherHost.equals(host) || WILDCARD_ADDRESSES.contains(otherHost)
              || WILDCARD_ADDRESSES.contains(host))) {
            error(e.get("port").origin(), e.at("port"), port + " is already used by " + b[2] + " (line " + b[3]
                + ") (expected: one listener per port)");
            break;
          }
        }
        bound.add(new Object[] {host, port, e.path, e.origin.lineNumber()});
      }
      if (name != null && port != null && host != null && tls != null && hsts != null && http2 != null) {
        out.add(new ListenerConfig(name, host, port, tls, redirectTo == null ? 0 : redirectTo, hsts, http2,
            fileOf(e.origin), lineOf(e.origin)));
      }
    }
    return out;
  }

  /** The listener's HSTS: {@code hsts = true|false}, or an object (enabled unless it says otherwise). */
  private ListenerConfig.Hsts hsts(Obj listener) {
    ConfigValue defaultValue = listener.fallback == null ? null : listener.fallback.get("hsts");
    if (defaultValue == null || defaultValue.valueType() != ConfigValueType.OBJECT) {
      error(defaultValue == null ? null : defaultValue.origin(), "gantry.defaults.listener.hsts",
          describe(defaultValue) + " (expected: an object { enabled, max-age, include-subdomains })");
      return null;
    }
    ConfigObject defaults = (ConfigObject) defaultValue;
    ConfigValue own = listener.own.get("hsts");
    Obj h;
    Boolean enabled;
    if (own == null || own.valueType() == ConfigValueType.NULL) {
      h = new Obj("gantry.defaults.listener.hsts", defaults, null, defaults.origin());
      checkKeys(h, HSTS_KEYS);
      enabled = bool(h, "enabled", true);
    } else if (own.valueType() == ConfigValueType.OBJECT) {
      h = new Obj(listener.at("hsts"), (ConfigObject) own, defaults, own.origin());
      checkKeys(h, HSTS_KEYS);
      enabled = h.own.containsKey("enabled") ? bool(h, "enabled", true) : Boolean.TRUE;
    } else {
      h = new Obj(listener.at("hsts"), null, defaults, own.origin());
      enabled = bool(listener, "hsts", true);
    }
    Duration maxAge = duration(h, "max-age", false);
    Boolean include = bool(h, "include-subdomains", true);
    return enabled == null || maxAge == null || include == null ? null
        : new ListenerConfig.Hsts(enabled, maxAge, include);
  }

  // ---------------------------------------------------------------- tls

  private TlsConfig readTls(Obj root, Obj selfSignedDefaults, List<ListenerConfig> listeners) {
    Obj t = object(root, "tls");
    checkKeys(t, TLS_KEYS);
    List<CertificateConfig> certificates = new ArrayList<>();
    List<Obj> elements = objects(t, "certificates",
        "{ cert = file.pem, key = file.key } or { keystore = file.p12, password = ... }");
    for (Obj c : elements == null ? List.<Obj>of() : elements) {
      checkKeys(c, CERTIFICATE_KEYS);
      CertificateConfig cert = certificate(c);
      if (cert != null) {
        certificates.add(cert);
      }
    }
    String defaultCertificate = string(t, "default-certificate", false, "a host name such as registry.example.com");
    if (defaultCertificate != null) {
      try {
        RouteStrategies.host(defaultCertificate);
      } catch (IllegalArgumentException e) {
        error(t.get("default-certificate").origin(), t.at("default-certificate"), libMessage(e, "host"));
      }
    }
    TlsConfig.SelfSigned selfSigned = selfSigned(t, selfSignedDefaults);
    if (selfSigned != null && !certificates.isEmpty()) {
      warn(t.get("self-signed").origin(), t.at("self-signed"),
          "ignored because certificates are configured (expected: either certificates or self-signed)");
    }
    // Certificates that are listed but broken were reported already: no second error per listener.
    boolean hasCertificates = !certificates.isEmpty() || selfSigned != null
        || (elements != null && !elements.isEmpty());
    if (!hasCertificates) {
      for (ListenerConfig l : listeners) {
        if (l.tls()) {
          error(origin(l.file(), l.line()), "gantry.listeners[" + listeners.indexOf(l) + "]",
              "TLS listener '" + l.name() + "' has no certificate (expected: gantry.tls.certificates,"
                  + " gantry.tls.self-signed, or tls = false on the listener)");
        }
      }
    }
    return new TlsConfig(certificates, defaultCertificate, selfSigned);
  }

  private CertificateConfig certificate(Obj c) {
    String cert = string(c, "cert", false, "a PEM certificate file");
    String key = string(c, "key", false, "a PEM private key file");
    String keystore = string(c, "keystore", false, "a PKCS#12 or JKS keystore file");
    String password = string(c, "password", false, "the keystore password");
    String file = fileOf(c.origin);
    int line = lineOf(c.origin);
    if (keystore != null) {
      if (cert != null || key != null) {
        error(c.origin, c.path, "has both a keystore and PEM files (expected: either cert and key, or keystore and password)");
        return null;
      }
      Path ks = file(c, "keystore", keystore, "a readable keystore file");
      return ks == null ? null : CertificateConfig.keystore(ks, password, file, line);
    }
    if (password != null) {
      error(c.get("password").origin(), c.at("password"), "set without a keystore (expected: keystore = file.p12 beside it)");
    }
    if (cert == null && key == null) {
      if (!c.own.keySet().stream().anyMatch(k -> !CERTIFICATE_KEYS.contains(k))) {
        error(c.origin, c.path, "no certificate (expected: { cert = file.pem, key = file.key } or { keystore = file.p12, password = ... })");
      }
      return null;
    }
    if (cert == null) {
      error(c.origin, c.at("cert"), "missing (expected: the PEM certificate chain file for key " + key + ")");
      return null;
    }
    if (key == null) {
      error(c.origin, c.at("key"), "missing (expected: the PEM private key file for cert " + cert + ")");
      return null;
    }
    Path certPath = file(c, "cert", cert, "a readable PEM certificate file");
    Path keyPath = file(c, "key", key, "a readable PEM private key file");
    return certPath == null || keyPath == null ? null : CertificateConfig.pem(certPath, keyPath, file, line);
  }

  private TlsConfig.SelfSigned selfSigned(Obj t, Obj defaults) {
    ConfigValue v = t.get("self-signed");
    Obj s;
    if (v == null || v.valueType() == ConfigValueType.NULL) {
      return null;
    } else if (v.valueType() == ConfigValueType.OBJECT) {
      s = new Obj(t.at("self-signed"), (ConfigObject) v, defaults.own, v.origin());
      checkKeys(s, SELF_SIGNED_KEYS);
    } else {
      Boolean on = bool(t, "self-signed", true);
      if (on == null || !on) {
        return null;
      }
      s = new Obj(t.at("self-signed"), null, defaults.own, v.origin());
    }
    List<Item> hosts = strings(s, "hosts", true);
    String dirName = string(s, "dir", true, "a directory for the generated certificate, such as tls");
    if (hosts == null || dirName == null) {
      return null;
    }
    if (hosts.isEmpty()) {
      error(s.get("hosts").origin(), s.at("hosts"), "empty (expected: at least one host name such as localhost)");
      return null;
    }
    try {
      RouteStrategies.host(values(hosts));
    } catch (IllegalArgumentException e) {
      error(s.get("hosts").origin(), s.at("hosts"), libMessage(e, "host"));
      return null;
    }
    Path d = path(s, "dir", dirName);
    return d == null ? null : new TlsConfig.SelfSigned(listOf(hosts), d);
  }

  // ---------------------------------------------------------------- upstreams

  private Map<String, UpstreamConfig> readUpstreams(Obj root, Obj defaults, Set<String> names) {
    Map<String, UpstreamConfig> out = new LinkedHashMap<>();
    Obj u = object(root, "upstreams");
    if (u.own == null) {
      return out;
    }
    List<Map.Entry<String, ConfigValue>> entries = new ArrayList<>(u.own.entrySet());
    entries.sort(Comparator.comparingInt((Map.Entry<String, ConfigValue> e) -> e.getValue().origin().lineNumber())
        .thenComparing(Map.Entry::getKey));
    if (entries.isEmpty()) {
      error(u.origin, u.path, "empty (expected: at least one upstream, such as nexus = \"http://127.0.0.1:8081/\")");
    }
    for (Map.Entry<String, ConfigValue> entry : entries) {
      String name = entry.getKey();
      ConfigValue v = entry.getValue();
      String path = u.at(name);
      names.add(name);
      if (!NAME.matcher(name).matches()) {
        error(v.origin(), path, "upstream name '" + name + "' (expected: letters, digits, '-', '_' and '.')");
        continue;
      }
      Obj e;
      if (v.valueType() == ConfigValueType.OBJECT) {
        e = new Obj(path, (ConfigObject) v, defaults.own, v.origin());
        checkKeys(e, UPSTREAM_KEYS);
      } else if (v.valueType() == ConfigValueType.STRING) {
        e = new Obj(path, ConfigFactory.empty().root().withValue("url", v), defaults.own, v.origin());
      } else {
        error(v.origin(), path, describe(v) + " (expected: a URL such as \"http://127.0.0.1:8081/\","
            + " or { url = ..., connect-timeout = 5s, idle-timeout = 5m, ca = ca.pem })");
        continue;
      }
      UpstreamConfig built = upstream(name, e, v.valueType() == ConfigValueType.STRING ? path : e.at("url"));
      if (built != null) {
        out.put(name, built);
      }
    }
    return out;
  }

  private UpstreamConfig upstream(String name, Obj e, String urlPath) {
    String url = string(e, "url", true, "a URL such as http://127.0.0.1:8081/repository/docker-group/");
    Duration connect = duration(e, "connect-timeout", true);
    Duration idle = duration(e, "idle-timeout", true);
    String caName = string(e, "ca", false, "a PEM file of CA certificates");
    Path ca = null;
    KeyStore trustStore = null;
    if (caName != null) {
      ca = file(e, "ca", caName, "a readable PEM file of CA certificates");
      if (ca != null && checkFiles) {
        trustStore = trustStore(e, ca);
        if (trustStore == null) {
          return null;
        }
      }
    }
    if (url == null || connect == null || idle == null || (caName != null && ca == null)) {
      return null;
    }
    try {
      Upstream upstream = Upstream.builder(url).connectTimeout(connect).idleTimeout(idle).trustStore(trustStore).build();
      return new UpstreamConfig(name, ca, upstream, fileOf(e.origin), lineOf(e.origin));
    } catch (IllegalArgumentException ex) {
      error(e.get("url").origin(), urlPath, libMessage(ex, "upstream"));
      return null;
    }
  }

  private KeyStore trustStore(Obj e, Path ca) {
    try (InputStream in = Files.newInputStream(ca)) {
      Collection<? extends Certificate> certificates = CertificateFactory.getInstance("X.509").generateCertificates(in);
      if (certificates.isEmpty()) {
        error(e.get("ca").origin(), e.at("ca"), "no certificate in " + ca + " (expected: PEM CA certificates, -----BEGIN CERTIFICATE-----)");
        return null;
      }
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      int i = 0;
      for (Certificate c : certificates) {
        store.setCertificateEntry("ca-" + i++, c);
      }
      return store;
    } catch (IOException | GeneralSecurityException ex) {
      error(e.get("ca").origin(), e.at("ca"), "cannot read CA certificates from " + ca + ": " + ex.getMessage()
          + " (expected: PEM CA certificates, -----BEGIN CERTIFICATE-----)");
      return null;
    }
  }

  private void checkUnused(Map<String, UpstreamConfig> upstreams, List<RouteConfig> routes) {
    for (UpstreamConfig u : upstreams.values()) {
      if (routes.stream().noneMatch(r -> r.to().equals(u.name()))) {
        warn(origin(u.file(), u.line()), "gantry.upstreams." + quote(u.name()),
            "upstream '" + u.name() + "' is not used by any route (expected: to = " + u.name() + " in a route, or remove it)");
      }
    }
  }

  // ---------------------------------------------------------------- routes

  private List<RouteConfig> readRoutes(Obj root, Obj defaults, Set<String> listenerNames, Set<String> upstreamNames) {
    List<RouteConfig> out = new ArrayList<>();
    List<Obj> elements = objects(root, "routes", "a route such as { host = registry.example.com, to = docker-group }");
    if (elements == null) {
      return out;
    }
    if (elements.isEmpty()) {
      error(root.get("routes").origin(), root.at("routes"), "empty (expected: at least one route, such as { to = nexus })");
    }
    Map<String, Obj> byName = new HashMap<>();
    for (int i = 0; i < elements.size(); i++) {
      Obj r = new Obj(elements.get(i).path, elements.get(i).own, defaults.own, elements.get(i).origin);
      checkKeys(r, ROUTE_KEYS);
      RouteConfig route = route(i, r, listenerNames, upstreamNames);
      String name = route == null ? null : route.name();
      if (name == null && r.has("name")) {
        name = string(r, "name", false, "a route name");
      }
      if (name != null) {
        Obj earlier = byName.putIfAbsent(name, r);
        if (earlier != null) {
          error(r.has("name") ? r.get("name").origin() : r.origin, r.at("name"), "'" + name + "' is already the name of "
              + earlier.path + " (line " + earlier.origin.lineNumber() + ") (expected: unique route names)");
          continue;
        }
      }
      if (route != null) {
        out.add(route);
      }
    }
    return out;
  }

  private RouteConfig route(int index, Obj r, Set<String> listenerNames, Set<String> upstreamNames) {
    int before = errorCount();
    String name = r.has("name") ? name(r, "name", "a route name such as registry-pull") : "route-" + (index + 1);
    List<RouteStrategy> parts = new ArrayList<>();

    List<Item> listeners = strings(r, "listener", false);
    if (listeners != null) {
      for (Item l : listeners) {
        if (!listenerNames.contains(l.value)) {
          error(l.origin, l.path, "listener '" + l.value + "' is not defined" + Suggestions.expectedOneOf(l.value, listenerNames));
        }
      }
      condition(r, "listener", parts, () -> RouteStrategies.listener(values(listeners)));
    }
    List<Item> hosts = strings(r, "host", false);
    if (hosts != null) {
      condition(r, "host", parts, () -> RouteStrategies.host(values(hosts)));
    }
    List<Item> methods = strings(r, "method", false);
    if (methods != null) {
      condition(r, "method", parts, () -> RouteStrategies.method(values(methods)));
    }
    List<Item> paths = strings(r, "path", false);
    if (paths != null) {
      condition(r, "path", parts, () -> RouteStrategies.pathPrefix(values(paths)));
    }
    TextMatch userAgent = userAgent(r, parts);
    HeaderMatch header = header(r, parts);
    UserStrategy userStrategy = userStrategy(r, parts);

    String to = string(r, "to", true, "the name of an upstream" + (upstreamNames.isEmpty() ? "" : ": " + String.join(", ", upstreamNames)));
    if (to != null && !upstreamNames.contains(to)) {
      error(r.get("to").origin(), r.at("to"), "upstream '" + to + "' is not defined" + Suggestions.expectedOneOf(to, upstreamNames));
    }
    Boolean encodedSlashes = bool(r, "allow-encoded-slashes", true);
    if (errorCount() > before || name == null || to == null || encodedSlashes == null) {
      return null;
    }
    RouteStrategy strategy = parts.isEmpty() ? RouteStrategies.any() : RouteStrategies.and(parts.toArray(RouteStrategy[]::new));
    return new RouteConfig(index, name, listOf(listeners), listOf(hosts), listOf(methods), listOf(paths),
        userAgent, header, userStrategy, to, encodedSlashes, strategy, fileOf(r.origin), lineOf(r.origin));
  }

  private interface StrategyFactory {
    RouteStrategy create();
  }

  private void condition(Obj r, String key, List<RouteStrategy> parts, StrategyFactory factory) {
    try {
      parts.add(factory.create());
    } catch (IllegalArgumentException e) {
      error(r.get(key).origin(), r.at(key), libMessage(e, key));
    }
  }

  private TextMatch userAgent(Obj r, List<RouteStrategy> parts) {
    ConfigValue v = r.get("user-agent");
    if (v == null || v.valueType() == ConfigValueType.NULL) {
      return null;
    }
    if (v.valueType() == ConfigValueType.OBJECT) {
      Obj u = new Obj(r.at("user-agent"), (ConfigObject) v, null, v.origin());
      checkKeys(u, TEXT_MATCH_KEYS);
      TextMatch m = textMatch(u, "user-agent");
      if (m != null) {
        condition(u, m.regex() != null ? "regex" : "contains", parts,
            () -> m.regex() != null ? RouteStrategies.userAgentMatching(m.regex()) : RouteStrategies.userAgent(m.contains()));
      }
      return m;
    }
    String text = string(r, "user-agent", false, "text the User-Agent contains, or { regex = \"^docker/\" }");
    if (text == null) {
      return null;
    }
    condition(r, "user-agent", parts, () -> RouteStrategies.userAgent(text));
    return new TextMatch(text, null);
  }

  private HeaderMatch header(Obj r, List<RouteStrategy> parts) {
    ConfigValue v = r.get("header");
    if (v == null || v.valueType() == ConfigValueType.NULL) {
      return null;
    }
    if (v.valueType() != ConfigValueType.OBJECT) {
      error(v.origin(), r.at("header"), describe(v) + " (expected: { name = X-Team, contains = \"text\" } or { name = X-Team, regex = \"...\" })");
      return null;
    }
    Obj h = new Obj(r.at("header"), (ConfigObject) v, null, v.origin());
    checkKeys(h, HEADER_KEYS);
    String name = string(h, "name", true, "a header name such as X-Team");
    TextMatch m = textMatch(h, "header");
    if (name == null || m == null) {
      return null;
    }
    String key = m.regex() != null ? "regex" : "contains";
    int before = errorCount();
    try {
      parts.add(m.regex() != null ? RouteStrategies.headerMatching(name, m.regex()) : RouteStrategies.header(name, m.contains()));
    } catch (IllegalArgumentException e) {
      String msg = e.getMessage();
      boolean aboutName = msg.startsWith("header: ");
      error(h.get(aboutName ? "name" : key).origin(), h.at(aboutName ? "name" : key),
          aboutName ? libMessage(e, "header") : libMessage(e, "header " + name.trim()));
    }
    return errorCount() > before ? null : new HeaderMatch(name, m.contains(), m.regex());
  }

  /** Exactly one of {@code contains} or {@code regex}. */
  private TextMatch textMatch(Obj o, String what) {
    boolean contains = o.has("contains");
    boolean regex = o.has("regex");
    if (contains == regex) {
      error(o.origin, o.path, (contains ? "both contains and regex" : "neither contains nor regex")
          + " (expected: exactly one of contains = \"text\" or regex = \"...\" for " + what + ")");
      return null;
    }
    String text = string(o, contains ? "contains" : "regex", true, contains ? "some text" : "a regular expression");
    return text == null ? null : new TextMatch(contains ? text : null, regex ? text : null);
  }

  private UserStrategy userStrategy(Obj r, List<RouteStrategy> parts) {
    ConfigValue v = r.get("strategy");
    if (v == null || v.valueType() == ConfigValueType.NULL) {
      return null;
    }
    Obj s;
    String className;
    Config config = ConfigFactory.empty();
    boolean hasConfig = false;
    String classPath;
    if (v.valueType() == ConfigValueType.OBJECT) {
      s = new Obj(r.at("strategy"), (ConfigObject) v, null, v.origin());
      checkKeys(s, STRATEGY_KEYS);
      className = string(s, "class", true, "a class name such as com.example.MyStrategy");
      classPath = s.at("class");
      ConfigValue c = s.get("config");
      if (c != null && c.valueType() == ConfigValueType.OBJECT) {
        config = ((ConfigObject) c).toConfig();
        hasConfig = true;
      } else if (c != null && c.valueType() != ConfigValueType.NULL) {
        error(c.origin(), s.at("config"), describe(c) + " (expected: an object, the strategy's own settings)");
        return null;
      }
    } else {
      s = r;
      className = string(r, "strategy", false, "a class name such as com.example.MyStrategy, or { class = ..., config { ... } }");
      classPath = r.at("strategy");
    }
    if (className == null) {
      return null;
    }
    ConfigOrigin at = s == r ? v.origin() : s.get("class").origin();
    RouteStrategy strategy = instantiate(className.trim(), config, hasConfig, at, classPath);
    if (strategy == null) {
      return null;
    }
    parts.add(strategy);
    return new UserStrategy(className.trim(), config);
  }

  private RouteStrategy instantiate(String className, Config config, boolean hasConfig, ConfigOrigin at, String path) {
    String expected = " (expected: a public class implementing " + RouteStrategy.class.getName()
        + " with a public constructor taking " + Config.class.getName() + " or none)";
    if (!CLASS_NAME.matcher(className).matches()) {
      error(at, path, "'" + className + "' is not a class name" + expected);
      return null;
    }
    Class<?> type;
    try {
      type = Class.forName(className, true, ConfigLoader.classLoader());
    } catch (ClassNotFoundException | LinkageError e) {
      error(at, path, "class " + className + " not found" + (e instanceof LinkageError ? " (" + e + ")" : "")
          + " (expected: a class on the class path implementing " + RouteStrategy.class.getName() + ")");
      return null;
    }
    if (!RouteStrategy.class.isAssignableFrom(type)) {
      error(at, path, "class " + className + " does not implement " + RouteStrategy.class.getName() + expected);
      return null;
    }
    if (Modifier.isAbstract(type.getModifiers())) {
      error(at, path, "class " + className + " is abstract" + expected);
      return null;
    }
    Constructor<?> constructor = null;
    Object[] args = null;
    try {
      constructor = type.getConstructor(Config.class);
      args = new Object[] {config};
    } catch (NoSuchMethodException e) {
      if (hasConfig) {
        error(at, path, "class " + className + " has no public constructor taking " + Config.class.getName()
            + ", so its config block cannot be used (expected: public " + type.getSimpleName() + "(Config config),"
            + " or no config block)");
        return null;
      }
      try {
        constructor = type.getConstructor();
        args = new Object[0];
      } catch (NoSuchMethodException e2) {
        error(at, path, "class " + className + " has no public constructor taking " + Config.class.getName()
            + " nor a public no-argument constructor" + expected);
        return null;
      }
    }
    try {
      return (RouteStrategy) constructor.newInstance(args);
    } catch (InvocationTargetException e) {
      Throwable cause = e.getCause();
      error(at, path, "class " + className + ": constructor failed: " + (cause.getMessage() != null
          ? cause.getMessage() : cause.getClass().getName()) + " (expected: a valid strategy configuration)");
    } catch (ReflectiveOperationException | RuntimeException e) {
      error(at, path, "class " + className + ": cannot create an instance: " + e + expected);
    }
    return null;
  }

  // ---------------------------------------------------------------- the rest

  private List<String> readTrustedProxies(Obj root) {
    List<Item> items = strings(root, "trusted-proxies", true);
    List<String> out = new ArrayList<>();
    if (items == null) {
      return out;
    }
    for (Item item : items) {
      try {
        ForwardedHeaders.trusting(List.of(item.value));
        out.add(item.value.trim());
      } catch (IllegalArgumentException e) {
        error(item.origin, item.path, libMessage(e, "trusted proxy"));
      }
    }
    return out;
  }

  private AdminConfig readAdmin(Obj root, List<ListenerConfig> listeners) {
    Obj a = object(root, "admin");
    checkKeys(a, ADMIN_KEYS);
    Boolean enabled = bool(a, "enabled", true);
    String host = string(a, "host", true, "a bind address such as 127.0.0.1");
    Integer port = port(a, "port", true);
    if (enabled == null || host == null || port == null) {
      return null;
    }
    if (enabled && port != 0) {
      for (ListenerConfig l : listeners) {
        if (l.port() == port && (l.host().equals(host) || WILDCARD_ADDRESSES.contains(l.host())
            || WILDCARD_ADDRESSES.contains(host))) {
          error(a.get("port").origin(), a.at("port"), port + " is already used by listener '" + l.name() + "' (line "
              + l.line() + ") (expected: a port of its own for the admin listener)");
        }
      }
    }
    return new AdminConfig(enabled, host, port);
  }

  private GantryConfig.Engine readEngine(Obj root) {
    String engine = string(root, "engine", true, "handler or servlet");
    if (engine == null) {
      return null;
    }
    List<String> known = List.of("handler", "servlet");
    String lower = engine.trim().toLowerCase(Locale.ROOT);
    if (!known.contains(lower)) {
      error(root.get("engine").origin(), root.at("engine"), "'" + engine + "'" + Suggestions.expectedOneOf(lower, known));
      return null;
    }
    return GantryConfig.Engine.valueOf(lower.toUpperCase(Locale.ROOT));
  }

  private AccessLogConfig readAccessLog(Obj root) {
    Obj a = object(root, "access-log");
    checkKeys(a, ACCESS_LOG_KEYS);
    Boolean enabled = bool(a, "enabled", true);
    String format = string(a, "format", true, "combined or json");
    AccessLogConfig.Format f = null;
    if (format != null) {
      List<String> known = List.of("combined", "json");
      String lower = format.trim().toLowerCase(Locale.ROOT);
      if (known.contains(lower)) {
        f = AccessLogConfig.Format.valueOf(lower.toUpperCase(Locale.ROOT));
      } else {
        error(a.get("format").origin(), a.at("format"), "'" + format + "'" + Suggestions.expectedOneOf(lower, known));
      }
    }
    String pathName = string(a, "path", false, "a file to append to, or null for standard output");
    Path path = pathName == null ? null : path(a, "path", pathName);
    if (enabled == null || f == null || (pathName != null && path == null)) {
      return null;
    }
    return new AccessLogConfig(enabled, f, path);
  }

  // ---------------------------------------------------------------- typed values

  /** An object being read: the user's value with a fallback of defaults (either may be null). */
  private static final class Obj {
    final String path;
    final ConfigObject own;
    final ConfigObject fallback;
    final ConfigOrigin origin;

    Obj(String path, ConfigObject own, ConfigObject fallback, ConfigOrigin origin) {
      this.path = path;
      this.own = own == null ? ConfigFactory.empty().root() : own;
      this.fallback = fallback;
      this.origin = origin;
    }

    ConfigValue get(String key) {
      ConfigValue v = own.get(key);
      return v == null && fallback != null ? fallback.get(key) : v;
    }

    /** Whether the key is set to something other than null. */
    boolean has(String key) {
      ConfigValue v = get(key);
      return v != null && v.valueType() != ConfigValueType.NULL;
    }

    String at(String key) {
      return path + "." + quote(key);
    }
  }

  /** One string of a string-or-list value, with where it came from. */
  private record Item(String value, ConfigOrigin origin, String path) {}

  private static String[] values(List<Item> items) {
    return items == null ? null : items.stream().map(Item::value).toArray(String[]::new);
  }

  private static List<String> listOf(List<Item> items) {
    return items == null ? List.of() : items.stream().map(Item::value).toList();
  }

  private void checkKeys(Obj o, List<String> known) {
    for (Map.Entry<String, ConfigValue> e : o.own.entrySet()) {
      if (!known.contains(e.getKey())) {
        error(e.getValue().origin(), o.at(e.getKey()), "unknown key" + Suggestions.expectedOneOf(e.getKey(), known));
      }
    }
  }

  /** A sub-object; an absent, null or mistyped one reads as empty (mistyped is reported). */
  private Obj object(Obj parent, String key) {
    ConfigValue v = parent.get(key);
    if (v != null && v.valueType() == ConfigValueType.OBJECT) {
      return new Obj(parent.at(key), (ConfigObject) v, null, v.origin());
    }
    if (v != null && v.valueType() != ConfigValueType.NULL) {
      error(v.origin(), parent.at(key), describe(v) + " (expected: an object { ... })");
    }
    return new Obj(parent.at(key), null, null, v != null ? v.origin() : parent.origin);
  }

  /** The objects of a list, or {@code null} when the key is absent or not a list (reported). */
  private List<Obj> objects(Obj parent, String key, String expected) {
    ConfigValue v = parent.get(key);
    if (v == null || v.valueType() == ConfigValueType.NULL) {
      return null;
    }
    if (v.valueType() != ConfigValueType.LIST) {
      error(v.origin(), parent.at(key), describe(v) + " (expected: a list [ ... ] of " + expected + ")");
      return null;
    }
    List<Obj> out = new ArrayList<>();
    ConfigList list = (ConfigList) v;
    for (int i = 0; i < list.size(); i++) {
      ConfigValue e = list.get(i);
      String path = parent.at(key) + "[" + i + "]";
      if (e.valueType() == ConfigValueType.OBJECT) {
        out.add(new Obj(path, (ConfigObject) e, null, e.origin()));
      } else {
        error(e.origin(), path, describe(e) + " (expected: " + expected + ")");
      }
    }
    return out;
  }

  private ConfigValue value(Obj o, String key, boolean required, String expected) {
    ConfigValue v = o.get(key);
    if (v == null || v.valueType() == ConfigValueType.NULL) {
      if (required) {
        error(v != null ? v.origin() : o.origin, o.at(key), (v == null ? "missing" : "null") + " (expected: " + expected + ")");
      }
      return null;
    }
    return v;
  }

  private String string(Obj o, String key, boolean required, String expected) {
    ConfigValue v = value(o, key, required, expected);
    if (v == null) {
      return null;
    }
    switch (v.valueType()) {
      case STRING, NUMBER, BOOLEAN -> {
        String s = String.valueOf(v.unwrapped());
        if (s.isBlank()) {
          error(v.origin(), o.at(key), "'' (expected: " + expected + ")");
          return null;
        }
        return s;
      }
      default -> {
        error(v.origin(), o.at(key), describe(v) + " (expected: " + expected + ")");
        return null;
      }
    }
  }

  private String name(Obj o, String key, String expected) {
    String s = string(o, key, true, expected);
    if (s != null && !NAME.matcher(s).matches()) {
      error(o.get(key).origin(), o.at(key), "'" + s + "' (expected: " + expected + ", of letters, digits, '-', '_' and '.')");
      return null;
    }
    return s;
  }

  private Integer integer(Obj o, String key, boolean required, String expected) {
    ConfigValue v = value(o, key, required, expected);
    if (v == null) {
      return null;
    }
    Object u = v.unwrapped();
    if (u instanceof Integer i) {
      return i;
    }
    if (u instanceof String s) {
      try {
        return Integer.parseInt(s.trim());
      } catch (NumberFormatException e) {
        // reported below
      }
    }
    error(v.origin(), o.at(key), describe(v) + " (expected: " + expected + ")");
    return null;
  }

  private Integer port(Obj o, String key, boolean required) {
    Integer port = integer(o, key, required, PORT);
    if (port != null && (port < 0 || port > 65535)) {
      error(o.get(key).origin(), o.at(key), port + " (expected: " + PORT + ")");
      return null;
    }
    return port;
  }

  private Boolean bool(Obj o, String key, boolean required) {
    ConfigValue v = value(o, key, required, "true or false");
    if (v == null) {
      return null;
    }
    Object u = v.unwrapped();
    if (u instanceof Boolean b) {
      return b;
    }
    if (u instanceof String s) {
      switch (s.trim().toLowerCase(Locale.ROOT)) {
        case "true", "yes", "on" -> {
          return true;
        }
        case "false", "no", "off" -> {
          return false;
        }
        default -> { }
      }
    }
    error(v.origin(), o.at(key), describe(v) + " (expected: true or false)");
    return null;
  }

  /** A duration such as {@code 30s}; zero allowed only when {@code positive} is false. */
  private Duration duration(Obj o, String key, boolean positive) {
    String expected = "a duration such as 30s, 5m or 1h" + (positive ? ", more than 0" : "");
    ConfigValue v = value(o, key, true, expected);
    if (v == null) {
      return null;
    }
    Duration d;
    try {
      d = ConfigFactory.empty().withValue("v", v).getDuration("v");
    } catch (ConfigException e) {
      error(v.origin(), o.at(key), describe(v) + " (expected: " + expected + ")");
      return null;
    }
    if (d.isNegative() || (positive && d.isZero())) {
      error(v.origin(), o.at(key), describe(v) + " (expected: " + expected + ")");
      return null;
    }
    return d;
  }

  /** A string or a list of strings; {@code null} when absent or mistyped (reported). */
  private List<Item> strings(Obj o, String key, boolean required) {
    String expected = "a string or a list of strings";
    ConfigValue v = value(o, key, required, expected);
    if (v == null) {
      return null;
    }
    String path = o.at(key);
    if (v.valueType() == ConfigValueType.STRING || v.valueType() == ConfigValueType.NUMBER) {
      return List.of(new Item(String.valueOf(v.unwrapped()), v.origin(), path));
    }
    if (v.valueType() != ConfigValueType.LIST) {
      error(v.origin(), path, describe(v) + " (expected: " + expected + ")");
      return null;
    }
    List<Item> out = new ArrayList<>();
    ConfigList list = (ConfigList) v;
    boolean ok = true;
    for (int i = 0; i < list.size(); i++) {
      ConfigValue e = list.get(i);
      if (e.valueType() == ConfigValueType.STRING || e.valueType() == ConfigValueType.NUMBER) {
        out.add(new Item(String.valueOf(e.unwrapped()), e.origin(), path + "[" + i + "]"));
      } else {
        error(e.origin(), path + "[" + i + "]", describe(e) + " (expected: a string)");
        ok = false;
      }
    }
    return ok ? out : null;
  }

  /** A path relative to the configuration file's directory, made absolute. */
  private Path path(Obj o, String key, String name) {
    try {
      return dir.resolve(name.trim()).normalize();
    } catch (InvalidPathException e) {
      error(o.get(key).origin(), o.at(key), "'" + name + "' (expected: a file path: " + e.getReason() + ")");
      return null;
    }
  }

  /** Like {@link #path}, and the file must be readable unless file checks are off. */
  private Path file(Obj o, String key, String name, String expected) {
    Path p = path(o, key, name);
    if (p == null || !checkFiles) {
      return p;
    }
    String problem = !Files.exists(p) ? "does not exist"
        : !Files.isRegularFile(p) ? "is not a file"
        : !Files.isReadable(p) ? "is not readable" : null;
    if (problem != null) {
      error(o.get(key).origin(), o.at(key), "file " + p + " " + problem + " (expected: " + expected + ")");
      return null;
    }
    return p;
  }

  // ---------------------------------------------------------------- problems

  private int errorCount() {
    return (int) problems.stream().filter(ConfigProblem::isError).count();
  }

  private void error(ConfigOrigin origin, String path, String message) {
    add(origin, path, message, Severity.ERROR);
  }

  private void warn(ConfigOrigin origin, String path, String message) {
    add(origin, path, message, Severity.WARNING);
  }

  /** Problems located in reference.conf (a default) are reported at the user's gantry block. */
  private void add(ConfigOrigin origin, String path, String message, Severity severity) {
    String file = fileName;
    int line = rootLine;
    if (origin != null && origin.filename() != null && origin.resource() == null) {
      file = origin.filename();
      line = Math.max(0, origin.lineNumber());
    }
    problems.add(new ConfigProblem(file, line, path, message, severity));
  }

  private ConfigOrigin origin(String file, int line) {
    return ConfigOriginFactory.newFile(file).withLineNumber(line);
  }

  private String fileOf(ConfigOrigin origin) {
    return origin != null && origin.filename() != null ? origin.filename() : fileName;
  }

  private int lineOf(ConfigOrigin origin) {
    return origin != null && origin.filename() != null ? Math.max(0, origin.lineNumber()) : rootLine;
  }

  /** A value as a user would recognise it: {@code 'abc'}, {@code 12}, {@code list [1,2]}. */
  private static String describe(ConfigValue v) {
    if (v == null) {
      return "missing";
    }
    if (v.valueType() == ConfigValueType.STRING) {
      return "'" + v.unwrapped() + "'";
    }
    String rendered = v.render(ConfigRenderOptions.concise());
    if (rendered.length() > 60) {
      rendered = rendered.substring(0, 57) + "...";
    }
    return switch (v.valueType()) {
      case LIST -> "list " + rendered;
      case OBJECT -> "object " + rendered;
      default -> rendered;
    };
  }

  /** The library's message without a leading {@code "label: "} that repeats the key. */
  private static String libMessage(IllegalArgumentException e, String... labels) {
    String m = e.getMessage();
    for (String label : labels) {
      if (m.startsWith(label + ": ")) {
        return m.substring(label.length() + 2);
      }
    }
    return m;
  }

  private static String quote(String key) {
    return key.matches("[A-Za-z0-9_-]+") ? key : ConfigUtil.quoteString(key);
  }
}
