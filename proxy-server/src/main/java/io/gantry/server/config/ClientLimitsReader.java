package io.gantry.server.config;

import java.util.List;

/**
 * Reads a {@code client-limits { max-concurrent, rate, burst, max-clients }} block: {@code
 * gantry.client-limits} (every key from reference.conf) or a route's own (keys it leaves out take
 * {@link ClientLimitsConfig#NONE}'s values).
 */
final class ClientLimitsReader {
  private static final List<String> KEYS = List.of("max-concurrent", "rate", "burst", "max-clients");

  private final ConfigValues values;
  private final Problems problems;

  ClientLimitsReader(ConfigValues values) {
    this.values = values;
    this.problems = values.problems();
  }

  /** The limits of block {@code key} in {@code parent}; {@code null} after a problem (reported). */
  ClientLimitsConfig read(Block parent, String key) {
    Block c = values.object(parent, key);
    values.checkKeys(c, KEYS);
    ClientLimitsConfig d = ClientLimitsConfig.NONE;
    Integer maxConcurrent = atLeast(c, "max-concurrent", 0, d.maxConcurrent(), "requests in flight per client, 0 for no limit");
    Integer rate = atLeast(c, "rate", 0, d.rate(), "requests a second per client, 0 for no limit");
    Integer burst = atLeast(c, "burst", 1, d.burst(), "requests >= 1 a client may make at once above the rate");
    Integer maxClients = atLeast(c, "max-clients", 1, d.maxClients(), "client addresses tracked at most, >= 1");
    if (maxConcurrent == null || rate == null || burst == null || maxClients == null) {
      return null;
    }
    return new ClientLimitsConfig(maxConcurrent, rate, burst, maxClients);
  }

  private Integer atLeast(Block o, String key, int min, int absent, String expected) {
    if (!o.has(key)) {
      return absent;
    }
    Integer v = values.integer(o, key, true, expected);
    if (v != null && v < min) {
      problems.error(o.get(key).origin(), o.at(key), v + " (expected: " + expected + ")");
      return null;
    }
    return v;
  }
}
