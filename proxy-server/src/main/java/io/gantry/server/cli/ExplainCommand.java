package io.gantry.server.cli;

import io.gantry.proxy.Arrival;
import io.gantry.proxy.Router;
import io.gantry.proxy.route.HostNames;
import io.gantry.proxy.route.RequestView;
import io.gantry.proxy.route.Route;
import io.gantry.proxy.route.RouteTable;
import io.gantry.server.config.ConfigLoader;
import io.gantry.server.config.GantryConfig;
import io.gantry.server.config.InvalidConfigException;
import io.gantry.server.config.ListenerConfig;
import io.gantry.server.redirect.HttpsRedirects;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.eclipse.jetty.http.HttpStatus;

/**
 * {@code gantry explain conf URL [-X METHOD] [-A USER-AGENT] [-H 'Name: value']}: which listener,
 * route and upstream URL a request would take, or why it would be refused.
 */
public final class ExplainCommand implements Subcommand {
  private static final Usage USAGE = new Usage("explain", "CONF URL",
      "Show which route and upstream URL a request to URL (https://registry.example.com/v2/) takes.", 2, 2);

  @Override
  public Usage usage() {
    return USAGE;
  }

  @Override
  public Options options() {
    return new Options()
        .addOption(Option.builder("X").longOpt("request").hasArg().argName("METHOD").desc("request method (default: GET)").get())
        .addOption(Option.builder("A").longOpt("user-agent").hasArg().argName("USER-AGENT").desc("User-Agent header").get())
        .addOption(Option.builder("H").longOpt("header").hasArg().argName("'NAME: VALUE'").desc("a request header (repeatable)").get())
        .addOption(Option.builder("F").longOpt("from").hasArg().argName("ADDRESS")
            .desc("the client's address, for routes with allow-from/deny-from (default: 127.0.0.1)").get());
  }

  @Override
  public int call(CommandLine line, List<String> parameters, PrintWriter out, PrintWriter err) {
    Path conf = Path.of(parameters.get(0));
    String url = parameters.get(1);
    String method = line.getOptionValue("request", "GET");
    String userAgent = line.getOptionValue("user-agent");
    String[] headers = line.hasOption("header") ? line.getOptionValues("header") : new String[0];
    GantryConfig config;
    try {
      config = ConfigLoader.defaults().withFileChecks(false).load(conf.toAbsolutePath().normalize());
    } catch (InvalidConfigException e) {
      err.println(conf + ": " + e.errors().size() + " error(s):");
      e.problems().forEach(p -> err.println("  " + p));
      return 2;
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      err.println("not a URL: " + url + " (expected: such as https://registry.example.com/v2/)");
      return 2;
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
      err.println("not an http(s) URL: " + url);
      return 2;
    }
    boolean secure = scheme.equals("https");
    int port = uri.getPort() > 0 ? uri.getPort() : secure ? 443 : 80;
    String host = HostNames.normalize(uri.getHost());
    String m = method.toUpperCase(Locale.ROOT);
    out.println(m + " " + url);

    Optional<ListenerConfig> listener = config.listeners().stream().filter(l -> l.port() == port).findFirst();
    if (listener.isEmpty()) {
      out.println("  no listener on port " + port + ": the connection would be refused");
      return 1;
    }
    ListenerConfig l = listener.get();
    if (l.tls() != secure) {
      out.println("  listener " + l.name() + " on port " + port + " speaks " + (l.tls() ? "https" : "plain http")
          + ", not " + scheme);
      return 1;
    }
    out.println("  listener " + l.name() + " (port " + port + (l.tls() ? ", TLS, SNI " + host : "") + ")");
    String rawPath = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
    if (l.redirects()) {
      String pathQuery = uri.getRawQuery() == null ? rawPath : rawPath + "?" + uri.getRawQuery();
      out.println("  -> " + HttpsRedirects.status(m) + " redirect to "
          + HttpsRedirects.location(host, l.redirectTo(), pathQuery));
      return 0;
    }
    RouteTable routes = config.routeTable();
    RequestView.Builder view = RequestView.builder().method(m).host(host).localPort(port).listenerName(l.name()).secure(secure)
        .clientAddress(line.getOptionValue("from", "127.0.0.1"));
    if (userAgent != null) {
      view.header("User-Agent", userAgent);
    }
    for (String h : headers) {
      int colon = h.indexOf(':');
      if (colon <= 0) {
        err.println("not a header: " + h + " (expected: 'Name: value')");
        return 2;
      }
      view.header(h.substring(0, colon).trim(), h.substring(colon + 1).trim());
    }
    // As the proxy would see it: the client sends the URL's host as SNI (on TLS) and as Host.
    Arrival arrival = new Arrival(HostNames.authority(host, port, secure), host, secure ? host : null, l.name(), port, secure);
    Router.Decision decision = new Router(routes).decide(arrival, rawPath, uri.getRawQuery(),
        path -> view.path(path).build());
    if (decision instanceof Router.Forward f) {
      Route r = f.route();
      out.println("  route " + (routes.routes().indexOf(r) + 1) + " '" + r.name() + "': " + r.strategy());
      out.println("  -> " + f.target());
      return 0;
    }
    Router.Refuse refuse = (Router.Refuse) decision;
    out.println("  -> " + refuse.status() + " " + HttpStatus.getMessage(refuse.status()) + ": " + refuse.reason());
    return 1;
  }
}
