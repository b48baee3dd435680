package io.gantry.server.config;

import java.util.Objects;

/**
 * One problem found in a configuration file: where it is (file, line, key path), what is wrong
 * and what was expected. Prints as {@code gantry.conf:12: gantry.routes[2].to: upstream
 * 'docker-grp' is not defined (expected one of: docker-group, nexus; did you mean 'docker-group'?)}.
 *
 * @param file the file as the configuration origin names it (as given to the loader)
 * @param line 1-based line number, or 0 when unknown (a missing file, a whole-file problem)
 * @param path the key path, {@code gantry.routes[2].to}; list indexes are 0-based; empty for the file itself
 * @param message what is wrong, ending with what was expected
 * @param severity {@link Severity#ERROR} stops loading; {@link Severity#WARNING} does not
 */
public record ConfigProblem(String file, int line, String path, String message, Severity severity) {

  /** How bad a problem is. */
  public enum Severity {
    /** The configuration cannot be used. */
    ERROR,
    /** The configuration works, but probably not the way it was meant to. */
    WARNING
  }

  public ConfigProblem {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(message, "message");
    Objects.requireNonNull(severity, "severity");
  }

  public boolean isError() {
    return severity == Severity.ERROR;
  }

  /** {@code file:line: path: message}, with {@code warning: } before the path for warnings. */
  @Override
  public String toString() {
    StringBuilder b = new StringBuilder(file);
    if (line > 0) {
      b.append(':').append(line);
    }
    b.append(": ");
    if (severity == Severity.WARNING) {
      b.append("warning: ");
    }
    if (!path.isEmpty()) {
      b.append(path).append(": ");
    }
    return b.append(message).toString();
  }
}
