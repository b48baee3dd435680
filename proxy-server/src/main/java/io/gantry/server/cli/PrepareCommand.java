package io.gantry.server.cli;

import com.google.inject.Guice;
import io.gantry.server.GantryModule;
import io.gantry.server.GantryServer;
import io.gantry.server.config.ConfigLoader;
import io.gantry.server.config.GantryConfig;
import java.io.PrintWriter;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.apache.commons.cli.CommandLine;

/**
 * {@code gantry prepare}: a training run for the class-data archive that {@code bin/gantry} keeps
 * per JDK, so that the first real start is as quick as later ones. It starts gantry on a config of
 * its own (loopback, port 0: a plain and a TLS listener, a self-signed certificate, an upstream
 * that refuses), sends requests through both listeners and to the admin port, and stops; the JVM
 * records the classes that took when it exits. {@code bin/gantry prepare} does nothing when the
 * archive exists.
 */
final class PrepareCommand implements Subcommand {
  private static final Usage USAGE = new Usage("prepare", "",
      "Make the class-data archive of this installation for this JDK (bin/gantry run then starts faster).", 0, 0);

  @Override
  public Usage usage() {
    return USAGE;
  }

  @Override
  public int call(CommandLine line, List<String> parameters, PrintWriter out, PrintWriter err) throws Exception {
    Path dir = Files.createTempDirectory("gantry-prepare");
    try {
      int refusing;
      try (ServerSocket s = new ServerSocket(0)) {
        refusing = s.getLocalPort();
      }
      Path conf = dir.resolve("gantry.conf");
      Files.writeString(conf, """
          gantry {
            listeners = [
              { name = plain, port = 0, host = 127.0.0.1, tls = false }
              { name = https, port = 0, host = 127.0.0.1, http2 = true }
            ]
            tls.self-signed { hosts = [localhost], dir = tls }
            upstreams.nexus = "http://127.0.0.1:%d/repository/docker-group/"
            routes = [ { path = "/v2/", to = nexus }, { to = nexus } ]
            admin { host = 127.0.0.1, port = 0 }
            access-log.enabled = true
            reload.watch = false
            shutdown-grace = 1s
          }
          """.formatted(refusing));
      GantryConfig config = ConfigLoader.defaults().load(conf);
      GantryServer server = Guice.createInjector(new GantryModule(config)).getInstance(GantryServer.class);
      server.start();
      try {
        HttpClient http = HttpClient.newBuilder().sslContext(trustingAll()).connectTimeout(Duration.ofSeconds(5)).build();
        for (String url : List.of("http://127.0.0.1:" + server.port("plain") + "/v2/",
            "https://localhost:" + server.port("https") + "/v2/library/x/manifests/1",
            "http://127.0.0.1:" + server.port("plain") + "/../x",
            "http://127.0.0.1:" + server.adminPort() + "/metrics/prometheus",
            "http://127.0.0.1:" + server.adminPort() + "/healthcheck")) {
          http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
              HttpResponse.BodyHandlers.discarding());
        }
      } finally {
        server.stop();
      }
      out.println("gantry prepare: trained; the JVM writes the class-data archive as it exits");
      return 0;
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** The training run's own self-signed certificate is the only one it meets. */
  private static SSLContext trustingAll() throws Exception {
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, new TrustManager[] {new X509TrustManager() {
      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType) {}

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType) {}

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    }}, null);
    return context;
  }
}
