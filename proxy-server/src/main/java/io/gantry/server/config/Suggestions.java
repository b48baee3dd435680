package io.gantry.server.config;

import java.util.Collection;
import java.util.Locale;

/** "Did you mean" for misspelt keys and names: the closest candidate by Levenshtein distance. */
final class Suggestions {
  private Suggestions() {}

  /** {@code " (expected one of: a, b; did you mean 'a'?)"}, or without the suggestion. */
  static String expectedOneOf(String given, Collection<String> candidates) {
    if (candidates.isEmpty()) {
      return " (expected: none is defined)";
    }
    String best = closest(given, candidates);
    return " (expected one of: " + String.join(", ", candidates)
        + (best == null ? "" : "; did you mean '" + best + "'?") + ")";
  }

  /** The candidate nearest to {@code given}, if it is near enough to be a likely typo. */
  static String closest(String given, Collection<String> candidates) {
    String g = given.toLowerCase(Locale.ROOT);
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String c : candidates) {
      int d = distance(g, c.toLowerCase(Locale.ROOT));
      if (d < bestDistance) {
        best = c;
        bestDistance = d;
      }
    }
    int allowed = Math.max(2, Math.min(given.length(), best == null ? 0 : best.length()) / 3);
    return best != null && bestDistance <= allowed ? best : null;
  }

  static int distance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        current[j] = Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
      }
      int[] t = previous;
      previous = current;
      current = t;
    }
    return previous[b.length()];
  }
}
