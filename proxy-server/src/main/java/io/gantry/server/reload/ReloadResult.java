package io.gantry.server.reload;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The outcome of one reload attempt.
 *
 * @param outcome applied, or why not
 * @param file the configuration file read
 * @param sha256 the SHA-256 of the file's bytes as read, hex; empty when it could not be read
 * @param at when the attempt started
 * @param took how long it took
 * @param changes what changed (applied) or would have changed
 * @param problems why it was refused, each {@code file:line: key: message}; empty when applied
 */
public record ReloadResult(Outcome outcome, String file, String sha256, Instant at, Duration took,
    List<String> changes, List<String> problems) {

  /** How a reload attempt ended. */
  public enum Outcome {
    /** The new configuration serves. */
    APPLIED(200),
    /** Refused: the file is invalid, or a certificate or port of it cannot be used. */
    INVALID(422),
    /** Refused: the file changes what only a restart can change. */
    NEEDS_RESTART(409);

    private final int httpStatus;

    Outcome(int httpStatus) {
      this.httpStatus = httpStatus;
    }

    /** The status {@code POST /config/reload} answers with. */
    public int httpStatus() {
      return httpStatus;
    }

    /** {@code applied}, {@code invalid}, {@code needs-restart}. */
    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
  }

  public ReloadResult {
    changes = List.copyOf(changes);
    problems = List.copyOf(problems);
  }

  public boolean applied() {
    return outcome == Outcome.APPLIED;
  }

  /** The result as a JSON object. */
  public String toJson() {
    return "{\"result\":" + Json.string(outcome.label())
        + ",\"file\":" + Json.string(file)
        + ",\"sha256\":" + Json.string(sha256)
        + ",\"at\":" + Json.string(at.toString())
        + ",\"took_ms\":" + took.toMillis()
        + ",\"changes\":" + Json.strings(changes)
        + ",\"problems\":" + Json.strings(problems) + "}";
  }
}
