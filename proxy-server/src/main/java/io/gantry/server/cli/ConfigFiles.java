package io.gantry.server.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where gantry finds its configuration when none is named. */
final class ConfigFiles {
  private ConfigFiles() {}

  /** {@code $GANTRY_HOME/conf/gantry.conf} (set by bin/gantry), else {@code conf/gantry.conf}. */
  static Path defaultConfig() {
    String home = System.getProperty("gantry.home");
    Path candidate = home == null ? Path.of("conf", "gantry.conf") : Path.of(home, "conf", "gantry.conf");
    return candidate.toAbsolutePath().normalize();
  }

  static Path orDefault(Path given) {
    return given != null ? given.toAbsolutePath().normalize() : defaultConfig();
  }

  static boolean readable(Path file) {
    return Files.isRegularFile(file) && Files.isReadable(file);
  }
}
