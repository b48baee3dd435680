package io.gantry.server.config;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Thrown by {@link ConfigLoader#load} when a configuration has errors; lists every problem found
 * (errors and warnings), one per line of {@link #getMessage()}.
 */
public final class InvalidConfigException extends RuntimeException {
  private final transient List<ConfigProblem> problems;

  public InvalidConfigException(List<ConfigProblem> problems) {
    super(message(problems));
    this.problems = List.copyOf(problems);
  }

  /** All problems, errors and warnings, in file order. */
  public List<ConfigProblem> problems() {
    return problems;
  }

  /** The problems of severity {@link ConfigProblem.Severity#ERROR}. */
  public List<ConfigProblem> errors() {
    return problems.stream().filter(ConfigProblem::isError).toList();
  }

  private static String message(List<ConfigProblem> problems) {
    long errors = problems.stream().filter(ConfigProblem::isError).count();
    return "invalid configuration (" + errors + (errors == 1 ? " error" : " errors") + "):\n"
        + problems.stream().map(ConfigProblem::toString).collect(Collectors.joining("\n"));
  }
}
