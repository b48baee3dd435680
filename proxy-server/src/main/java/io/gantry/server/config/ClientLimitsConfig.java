package io.gantry.server.config;

import io.gantry.proxy.limit.ClientLimits;

/**
 * The {@code gantry.client-limits} block: per client address, over every route; off by default.
 *
 * @param maxConcurrent requests in flight per client address; 0: no limit
 * @param rate requests a second per client address (token bucket); 0: no limit
 * @param burst requests a client may make at once above the rate (the bucket's size)
 * @param maxClients client addresses tracked at most (memory bound)
 */
public record ClientLimitsConfig(int maxConcurrent, int rate, int burst, int maxClients) {
  /** No limits. */
  public static final ClientLimitsConfig NONE = new ClientLimitsConfig(0, 0, 100, ClientLimits.DEFAULT_MAX_CLIENTS);

  /** The library's limits (a new, empty set of counts). */
  public ClientLimits toLimits() {
    return ClientLimits.of(maxConcurrent, rate, burst, maxClients);
  }
}
