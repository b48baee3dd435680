package io.gantry.server.config;

import java.time.Duration;
import java.util.List;

/** Reads {@code gantry.reload}. */
final class ReloadReader {
  private static final List<String> KEYS = List.of("watch", "debounce");
  private static final Duration MAX_DEBOUNCE = Duration.ofMinutes(10);

  private final ConfigValues values;
  private final Problems problems;

  ReloadReader(ConfigValues values) {
    this.values = values;
    this.problems = values.problems();
  }

  ReloadConfig read(Block root) {
    Block r = values.object(root, "reload");
    values.checkKeys(r, KEYS);
    Boolean watch = values.bool(r, "watch", true);
    Duration debounce = values.duration(r, "debounce", true);
    if (debounce != null && debounce.compareTo(MAX_DEBOUNCE) > 0) {
      problems.error(r.get("debounce").origin(), r.at("debounce"),
          debounce.toMillis() + " ms (expected: a duration more than 0 and at most 10m, such as 1s)");
      return null;
    }
    if (watch == null || debounce == null) {
      return null;
    }
    return new ReloadConfig(watch, debounce);
  }
}
