package io.gantry.server.cli;

import com.google.inject.Guice;
import io.gantry.server.GantryModule;
import io.gantry.server.GantryServer;
import io.gantry.server.config.ConfigLoader;
import io.gantry.server.config.GantryConfig;
import io.gantry.server.config.InvalidConfigException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code gantry run [conf]}: validates the configuration, then serves until SIGTERM. */
@Command(name = "run", description = "Start gantry (default config: conf/gantry.conf of the installation).")
public final class RunCommand implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger("gantry");
  private static volatile boolean serving;

  @Parameters(index = "0", arity = "0..1", paramLabel = "CONF", description = "the configuration file")
  Path conf;

  /** Whether a server was started (and main must not exit). */
  public static boolean isServing() {
    return serving;
  }

  @Override
  public Integer call() throws Exception {
    Path file = ConfigFiles.orDefault(conf);
    if (!ConfigFiles.readable(file)) {
      System.err.println("gantry: cannot read " + file);
      return 2;
    }
    GantryConfig config;
    try {
      config = ConfigLoader.defaults().load(file);
    } catch (InvalidConfigException e) {
      System.err.println("gantry: " + file + " is not valid, nothing was started:");
      e.problems().forEach(p -> System.err.println("  " + p));
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
    return 0;
  }
}
