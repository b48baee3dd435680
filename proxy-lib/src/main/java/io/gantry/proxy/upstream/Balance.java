package io.gantry.proxy.upstream;

import java.util.Locale;

/** How a request picks among the instances of an {@link Upstream} that are up. */
public enum Balance {
  /** Each instance in turn. */
  ROUND_ROBIN,
  /** The instance with the fewest requests in flight; a slow instance gets fewer. */
  LEAST_REQUESTS;

  /** The name as written in configuration: {@code round-robin}, {@code least-requests}. */
  public String label() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** The balance for {@code label} ({@link #label()}), or {@code null}. */
  public static Balance of(String label) {
    for (Balance b : values()) {
      if (b.label().equals(label)) {
        return b;
      }
    }
    return null;
  }
}
