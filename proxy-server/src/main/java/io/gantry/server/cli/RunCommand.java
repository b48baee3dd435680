package io.gantry.server.cli;

import com.google.inject.Guice;
import io.gantry.server.GantryModule;
import io.gantry.server.GantryServer;
import io.gantry.server.config.ConfigLoader;
import io.gantry.server.config.GantryConfig;
import io.gantry.server.config.InvalidConfigException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import org.apache.commons.cli.CommandLine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code gantry run [conf]}: validates the configuration, then serves until SIGTERM; reloads the
 * file on SIGHUP (and, with {@code gantry.reload.watch}, when it or a file it names changes).
 * Leaves a PID file ({@link RunFiles}) for {@code gantry reload}.
 */
public final class RunCommand implements Subcommand {
  private static final Logger LOG = LoggerFactory.getLogger("gantry");
  private static volatile boolean serving;

  private static final Usage USAGE = new Usage("run", "[CONF]",
      "Start gantry (default config: conf/gantry.conf of the installation).", 0, 1);

  @Override
  public Usage usage() {
    return USAGE;
  }

  /** Whether a server was started (and main must not exit). */
  public static boolean isServing() {
    return serving;
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
      err.println("gantry: " + file + " is not valid, nothing was started:");
      e.problems().forEach(p -> err.println("  " + p));
      return 2;
    }
    config.warnings().forEach(w -> LOG.warn("{}", w));
    GantryServer server = Guice.createInjector(new GantryModule(config)).getInstance(GantryServer.class);
    try {
      server.start();
    } catch (Exception e) {
      LOG.error("gantry could not start: {}", e.getMessage());
      try {
        server.stop();
      } catch (Exception ignored) {
        // already failing: the start error is the one to report
      }
      return 1;
    }
    serving = true;
    server.reloader().handleSignals();
    RunFiles.write(file, ProcessHandle.current().pid(), adminUrl(config, server));
    return 0;
  }

  /** The admin endpoint's URL as a local client reaches it, or null without one. */
  static String adminUrl(GantryConfig config, GantryServer server) {
    if (!config.admin().enabled() || server.adminPort() < 0) {
      return null;
    }
    return "http://" + connectHost(config.admin().host()) + ":" + server.adminPort();
  }

  /** A wildcard bind address is reached on loopback. */
  static String connectHost(String bindHost) {
    if (bindHost == null || bindHost.isEmpty() || bindHost.equals("0.0.0.0")) {
      return "127.0.0.1";
    }
    if (bindHost.equals("::") || bindHost.equals("[::]")) {
      return "[::1]";
    }
    return bindHost.contains(":") && !bindHost.startsWith("[") ? "[" + bindHost + "]" : bindHost;
  }
}
