package io.gantry.proxy.path;

/**
 * A request path gantry refuses to forward (answered with 400). Carries no stack trace: hostile
 * probes arrive in bulk and the reason says everything.
 */
public final class UnsafePathException extends Exception {
  private static final long serialVersionUID = 1L;

  public UnsafePathException(String reason) {
    super(reason, null, false, false);
  }
}
