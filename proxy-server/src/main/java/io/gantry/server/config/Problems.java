package io.gantry.server.config;

import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigOriginFactory;
import io.gantry.proxy.validation.InvalidSettingException;
import io.gantry.server.config.ConfigProblem.Severity;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The problems of one reading, each at a file and line. A problem whose origin is {@code
 * reference.conf} (a default the user did not set) is reported at the user's {@code gantry} block,
 * the nearest line the user can change.
 */
final class Problems {
  private final String fileName;
  private final List<ConfigProblem> list = new ArrayList<>();
  private int rootLine = 1;

  Problems(String fileName) {
    this.fileName = fileName;
  }

  /** The line of the user's {@code gantry} block, where problems of defaults are reported. */
  void rootLine(int line) {
    rootLine = Math.max(1, line);
  }

  void error(ConfigOrigin origin, String path, String message) {
    add(origin, path, message, Severity.ERROR);
  }

  void warn(ConfigOrigin origin, String path, String message) {
    add(origin, path, message, Severity.WARNING);
  }

  /**
   * A value the library refused. Its typed problem leaves out the setting name, which the key path
   * already says; an untyped {@link IllegalArgumentException} is reported whole.
   */
  void rejected(ConfigOrigin origin, String path, IllegalArgumentException e) {
    error(origin, path, e instanceof InvalidSettingException s ? s.problem() : e.getMessage());
  }

  int errorCount() {
    return (int) list.stream().filter(ConfigProblem::isError).count();
  }

  boolean hasErrors() {
    return errorCount() > 0;
  }

  /** Every problem, the user's file first, then by file and line. */
  List<ConfigProblem> sorted() {
    List<ConfigProblem> out = new ArrayList<>(list);
    out.sort(Comparator.comparing((ConfigProblem p) -> !p.file().equals(fileName))
        .thenComparing(ConfigProblem::file)
        .thenComparingInt(ConfigProblem::line));
    return out;
  }

  /** An origin for a record read earlier, which kept only its file and line. */
  ConfigOrigin origin(String file, int line) {
    return ConfigOriginFactory.newFile(file).withLineNumber(line);
  }

  String fileOf(ConfigOrigin origin) {
    return origin != null && origin.filename() != null ? origin.filename() : fileName;
  }

  int lineOf(ConfigOrigin origin) {
    return origin != null && origin.filename() != null ? Math.max(0, origin.lineNumber()) : rootLine;
  }

  private void add(ConfigOrigin origin, String path, String message, Severity severity) {
    String file = fileName;
    int line = rootLine;
    if (origin != null && origin.filename() != null && origin.resource() == null) {
      file = origin.filename();
      line = Math.max(0, origin.lineNumber());
    }
    list.add(new ConfigProblem(file, line, path, message, severity));
  }
}
