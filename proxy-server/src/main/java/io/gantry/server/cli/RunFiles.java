package io.gantry.server.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The files {@code gantry run} leaves for {@code gantry reload} (and for supervisors): for a
 * configuration {@code NAME.conf}, {@code NAME.pid} (the server's PID, one line) and {@code
 * NAME.admin} (its admin URL, when the admin endpoint is on), next to the configuration file, or
 * in the installation's {@code run/} directory when that one is not writable. Both are deleted
 * when the server exits.
 */
final class RunFiles {
  private static final Logger LOG = LoggerFactory.getLogger("gantry");

  /** A running gantry as its files describe it. */
  record Running(long pid, Path pidFile, String adminUrl) {}

  private RunFiles() {}

  /** Where the files for {@code config} may be, in the order they are tried. */
  static List<Path> directories(Path config) {
    List<Path> dirs = new ArrayList<>();
    Path parent = config.toAbsolutePath().getParent();
    if (parent != null) {
      dirs.add(parent);
    }
    String home = System.getProperty("gantry.home");
    if (home != null) {
      dirs.add(Path.of(home, "run").toAbsolutePath().normalize());
    }
    return dirs;
  }

  static String stem(Path config) {
    String name = config.getFileName().toString();
    return name.endsWith(".conf") ? name.substring(0, name.length() - ".conf".length()) : name;
  }

  /** Writes the files in the first writable directory; returns the PID file, or empty when none could be written. */
  static Optional<Path> write(Path config, long pid, String adminUrl) {
    for (Path dir : directories(config)) {
      try {
        Files.createDirectories(dir);
        Path pidFile = dir.resolve(stem(config) + ".pid");
        Path adminFile = dir.resolve(stem(config) + ".admin");
        Files.writeString(pidFile, pid + "\n", StandardCharsets.US_ASCII);
        if (adminUrl != null) {
          Files.writeString(adminFile, adminUrl + "\n", StandardCharsets.US_ASCII);
        } else {
          Files.deleteIfExists(adminFile);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(pidFile, adminFile, pid), "gantry-run-files"));
        return Optional.of(pidFile);
      } catch (IOException | SecurityException e) {
        LOG.debug("cannot write the PID file in {}: {}", dir, e.toString());
      }
    }
    LOG.warn("no PID file written for {} (neither its directory nor the installation's run/ is writable);"
        + " `gantry reload` will need the admin port in the configuration", config);
    return Optional.empty();
  }

  private static void delete(Path pidFile, Path adminFile, long pid) {
    try {
      if (Files.exists(pidFile) && Files.readString(pidFile).trim().equals(Long.toString(pid))) {
        Files.deleteIfExists(pidFile);
        Files.deleteIfExists(adminFile);
      }
    } catch (IOException ignored) {
      // exiting anyway
    }
  }

  /** The running gantry whose files name a live process, if any. */
  static Optional<Running> find(Path config) {
    for (Path dir : directories(config)) {
      Path pidFile = dir.resolve(stem(config) + ".pid");
      try {
        if (!Files.isRegularFile(pidFile)) {
          continue;
        }
        long pid = Long.parseLong(Files.readString(pidFile).trim());
        if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
          Path adminFile = dir.resolve(stem(config) + ".admin");
          String admin = Files.isRegularFile(adminFile) ? Files.readString(adminFile).trim() : null;
          return Optional.of(new Running(pid, pidFile, admin == null || admin.isEmpty() ? null : admin));
        }
      } catch (IOException | NumberFormatException e) {
        LOG.debug("unreadable PID file {}: {}", pidFile, e.toString());
      }
    }
    return Optional.empty();
  }
}
