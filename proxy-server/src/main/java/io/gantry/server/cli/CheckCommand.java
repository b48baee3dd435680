package io.gantry.server.cli;

import io.gantry.server.config.ConfigLoader;
import io.gantry.server.config.ConfigProblem;
import io.gantry.server.config.GantryConfig;
import io.gantry.server.config.InvalidConfigException;
import io.gantry.server.tls.CertificateInfo;
import io.gantry.server.tls.CertificateStore;
import io.gantry.server.tls.ConfiguredCertificates;
import io.gantry.server.tls.ServerCertificate;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.apache.commons.cli.CommandLine;

/** {@code gantry check conf}: validates everything a start would, and prints the route table. */
public final class CheckCommand implements Subcommand {
  private static final Usage USAGE = new Usage("check", "[CONF]",
      "Validate a configuration (certificates included) and print its route table.", 0, 1);

  @Override
  public Usage usage() {
    return USAGE;
  }

  @Override
  public int call(CommandLine line, List<String> parameters, PrintWriter out, PrintWriter err) {
    Path file = ConfigFiles.orDefault(parameters.isEmpty() ? null : Path.of(parameters.get(0)));
    if (!ConfigFiles.readable(file)) {
      err.println("gantry: cannot read " + file);
      return 2;
    }
    GantryConfig config;
    try {
      config = ConfigLoader.defaults().load(file);
    } catch (InvalidConfigException e) {
      err.println(file + ": " + e.errors().size() + " error(s):");
      e.problems().forEach(p -> err.println("  " + p));
      return 1;
    }
    List<ConfigProblem> warnings = config.warnings();
    warnings.forEach(w -> err.println("  " + w));
    if (config.listeners().stream().anyMatch(l -> l.tls())) {
      try {
        CertificateStore store = ConfiguredCertificates.load(config);
        Instant now = Instant.now();
        for (ServerCertificate c : store.certificates()) {
          out.println("certificate " + CertificateInfo.of(c).describe(now));
        }
        store.warnings().forEach(w -> err.println("  warning: " + w));
      } catch (RuntimeException e) {
        err.println(file + ": " + e.getMessage());
        return 1;
      }
    }
    out.println("routes:");
    out.print(config.routeTable());
    out.println(file + ": OK" + (warnings.isEmpty() ? "" : " with " + warnings.size() + " warning(s)"));
    out.flush();
    return 0;
  }
}
