package io.gantry.proxy.validation;

/**
 * A value a library factory or builder refuses, with the name of the setting it was given for and
 * what is wrong, so a caller can point at its own source of the value (a configuration key, a
 * command-line option) without reading the message.
 *
 * <p>The message has one shape, {@code "setting: problem"}, e.g. {@code "path: 'v2' (expected:
 * starts with '/')"}; {@link #problem()} is the part after the setting name.
 *
 * <pre>{@code
 * try {
 *   RouteStrategies.pathPrefix(prefix);
 * } catch (InvalidSettingException e) {
 *   report(keyOf(e.setting()), e.problem());   // 'v2' (expected: starts with '/')
 * }
 * }</pre>
 *
 * <p>It lives in a package of its own, which imports nothing of gantry, so that every library
 * package can throw it without a package cycle.
 */
public final class InvalidSettingException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final String setting;
  private final String problem;

  /**
   * @param setting the parameter or setting the value was given for, e.g. {@code host}, {@code url}
   * @param problem the value and what was expected, e.g. {@code 'v2' (expected: starts with '/')}
   */
  public InvalidSettingException(String setting, String problem) {
    super(setting + ": " + problem);
    this.setting = setting;
    this.problem = problem;
  }

  /** The parameter or setting the refused value was given for, as the throwing API documents it. */
  public String setting() {
    return setting;
  }

  /** The message without the setting name: the value and what was expected. */
  public String problem() {
    return problem;
  }
}
