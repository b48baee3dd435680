package io.gantry.server.reload;

import io.gantry.server.config.ConfigProblem;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A configuration the running server refused; it keeps serving the one it had. Each problem
 * names the file, line and key.
 */
public final class ReloadRefusedException extends Exception {
  private static final long serialVersionUID = 1L;

  /** Why a reload was refused. */
  public enum Reason {
    /** The file is invalid, or a certificate or a port cannot be used: fix the file. */
    INVALID,
    /** The file is valid but changes what only a restart can change. */
    NEEDS_RESTART
  }

  private final Reason reason;
  private final transient List<ConfigProblem> problems;

  public ReloadRefusedException(Reason reason, List<ConfigProblem> problems) {
    super(problems.stream().map(ConfigProblem::toString).collect(Collectors.joining("\n")));
    this.reason = reason;
    this.problems = List.copyOf(problems);
  }

  public Reason reason() {
    return reason;
  }

  public List<ConfigProblem> problems() {
    return problems;
  }
}
