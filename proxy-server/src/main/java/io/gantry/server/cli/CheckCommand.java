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
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code gantry check conf}: validates everything a start would, and prints the route table. */
@Command(name = "check", description = "Validate a configuration (certificates included) and print its route table.")
public final class CheckCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Parameters(index = "0", arity = "0..1", paramLabel = "CONF", description = "the configuration file")
  Path conf;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Path file = ConfigFiles.orDefault(conf);
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
