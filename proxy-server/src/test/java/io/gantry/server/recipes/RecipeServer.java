package io.gantry.server.recipes;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.inject.Guice;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import io.gantry.proxy.route.RouteTable;
import io.gantry.server.GantryModule;
import io.gantry.server.GantryServer;
import io.gantry.server.config.ConfigLoader;
import io.gantry.server.config.GantryConfig;
import io.gantry.server.tls.TestPki;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * gantry running a recipe from {@code conf/examples/} as {@code bin/gantry run} would, on this
 * machine. The recipe file stays as users copy it; the test changes only what cannot work here,
 * by key path on the parsed HOCON: every listener binds 127.0.0.1 on a free port (routes name
 * listeners, not ports), the certificates become test-CA ones for the names the recipe serves,
 * each upstream's {@code http://127.0.0.1:8081} becomes its own connector of a {@link
 * Repositories} with the upstream's path prefix kept, and admin and access log move out of the way.
 * Routes, host names, methods, paths and every other key are the recipe's own; the route table is
 * checked to be exactly the recipe's.
 */
final class RecipeServer implements AutoCloseable {
  static final Path EXAMPLES = Path.of("..", "conf", "examples");

  final Repositories upstreams;
  private final GantryServer gantry;
  private final TrustManagerFactory trust;

  private RecipeServer(Repositories upstreams, GantryServer gantry, TrustManagerFactory trust) {
    this.upstreams = upstreams;
    this.gantry = gantry;
    this.trust = trust;
  }

  /**
   * Starts {@code conf/examples/<recipe>} with certificates from {@code pki}, one per name in
   * {@code certificateNames} (such as {@code *.example.com}), written to {@code dir}.
   */
  static RecipeServer start(String recipe, TestPki pki, Path dir, String... certificateNames) throws Exception {
    Path file = EXAMPLES.resolve(recipe);
    Config parsed = ConfigFactory.parseFile(file.toFile(), ConfigParseOptions.defaults().setAllowMissing(false)).resolve();
    Config gantryBlock = parsed.getConfig("gantry");
    Repositories upstreams = new Repositories(gantryBlock.getObject("upstreams").keySet());
    try {
      Config local = parsed
          .withValue("gantry.listeners", ConfigValueFactory.fromIterable(localListeners(gantryBlock)))
          .withValue("gantry.tls.certificates", ConfigValueFactory.fromIterable(certificates(pki, certificateNames)))
          .withValue("gantry.upstreams", ConfigValueFactory.fromMap(localUpstreams(gantryBlock, upstreams)))
          .withValue("gantry.admin", ConfigValueFactory.fromMap(Map.of("host", "127.0.0.1", "port", 0)))
          .withValue("gantry.access-log.path", ConfigValueFactory.fromAnyRef(dir.resolve(recipe + ".log").toString()))
          .withValue("gantry.shutdown-grace", ConfigValueFactory.fromAnyRef("1s"));
      Path localFile = dir.resolve(recipe);
      Files.writeString(localFile, local.root().render(ConfigRenderOptions.defaults().setOriginComments(false)));

      GantryConfig config = ConfigLoader.defaults().load(localFile);
      assertEquals(List.of(), config.warnings(), recipe + " as run here");
      GantryConfig asShipped = ConfigLoader.defaults().withFileChecks(false).load(file);
      assertEquals(rules(asShipped.routeTable()), rules(config.routeTable()), "the routes of " + recipe);

      GantryServer gantry = Guice.createInjector(new GantryModule(config)).getInstance(GantryServer.class);
      gantry.start();
      return new RecipeServer(upstreams, gantry, trusting(pki));
    } catch (Exception | Error e) {
      upstreams.close();
      throw e;
    }
  }

  /** A TLS client to {@code listener} sending SNI {@code sni} (and Host, unless changed); a fresh TLS session each time. */
  Client tls(String listener, String sni) throws Exception {
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, trust.getTrustManagers(), null);
    return Client.tls(gantry.port(listener), context, sni);
  }

  Client plain(String listener, String host) {
    return Client.plain(gantry.port(listener), host);
  }

  /** The port gantry bound for {@code listener}. */
  int port(String listener) {
    return gantry.port(listener);
  }

  @Override
  public void close() throws Exception {
    try {
      gantry.stop();
    } finally {
      upstreams.close();
    }
  }

  private static List<Map<String, Object>> localListeners(Config gantry) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (ConfigObject listener : gantry.getObjectList("listeners")) {
      Map<String, Object> l = new LinkedHashMap<>(listener.unwrapped());
      l.put("port", 0);
      l.put("host", "127.0.0.1");
      out.add(l);
    }
    return out;
  }

  private static List<Map<String, Object>> certificates(TestPki pki, String... names) throws Exception {
    List<Map<String, Object>> out = new ArrayList<>();
    for (String name : names) {
      Path[] files = pki.writePem(name.replace("*", "wildcard"), pki.leaf(name, TestPki.Alg.EC), "pkcs8");
      out.add(Map.of("cert", files[0].toString(), "key", files[1].toString()));
    }
    return out;
  }

  /** Each upstream URL with its scheme and authority replaced by its connector's; the path prefix stays. */
  private static Map<String, Object> localUpstreams(Config gantry, Repositories upstreams) throws Exception {
    Map<String, Object> out = new LinkedHashMap<>();
    for (Map.Entry<String, ConfigValue> e : gantry.getObject("upstreams").entrySet()) {
      ConfigValue v = e.getValue();
      String url = v.valueType() == ConfigValueType.STRING
          ? (String) v.unwrapped() : ((ConfigObject) v).toConfig().getString("url");
      String local = new URI("http", null, "127.0.0.1", upstreams.port(e.getKey()), URI.create(url).getPath(), null, null)
          .toString();
      if (v.valueType() == ConfigValueType.STRING) {
        out.put(e.getKey(), local);
      } else {
        Map<String, Object> o = new LinkedHashMap<>(((ConfigObject) v).unwrapped());
        o.put("url", local);
        o.remove("ca");
        out.put(e.getKey(), o);
      }
    }
    return out;
  }

  private static List<String> rules(RouteTable table) {
    return table.routes().stream().map(r -> r.name() + ": " + r.strategy()).toList();
  }

  private static TrustManagerFactory trusting(TestPki pki) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    store.setCertificateEntry("ca", pki.caCert);
    TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    f.init(store);
    return f;
  }
}
