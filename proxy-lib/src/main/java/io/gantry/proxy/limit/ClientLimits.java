package io.gantry.proxy.limit;

import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Per-client limits, off unless set: requests in flight per client address, and a request rate per
 * client address (a token bucket: {@code ratePerSecond} refilled, up to {@code burst} at once). A
 * request over either is answered 429 with {@code Retry-After} (registry JSON {@code
 * TOOMANYREQUESTS} on {@code /v2/}) before any upstream is contacted, and counted as {@code
 * Refusal.RATE_LIMITED}. The client address is the connection's peer, as for access rules. Set
 * them for the whole proxy ({@code ProxyBuilder.clientLimits}) or for one route ({@code
 * Route.Builder.clientLimits}, which then replaces the proxy's for that route's requests).
 *
 * <pre>{@code
 * RoutingProxyHandler.builder().routes(routes)
 *     .clientLimits(ClientLimits.of(64, 50, 200))   // 64 in flight, 50 requests/s, bursts of 200
 *     .build();
 * }</pre>
 *
 * <p>Memory is bounded: a client is forgotten once it has nothing in flight and its bucket is full
 * again, and at most {@code maxClients} are tracked; beyond that (an address space being sprayed)
 * new clients are let through untracked rather than refused.
 *
 * <p>One instance keeps the counts for one proxy; a CI farm behind one NAT address shares one
 * client's limits, so set them for that farm, not for a laptop.
 */
public final class ClientLimits {
  /** No limits. */
  public static final ClientLimits NONE = new ClientLimits(0, 0, 0, 0);
  /** Clients tracked at most, by default. */
  public static final int DEFAULT_MAX_CLIENTS = 100_000;

  private final int maxConcurrent;
  private final double ratePerSecond;
  private final int burst;
  private final int maxClients;
  private final Map<String, Client> clients = new ConcurrentHashMap<>();
  private final AtomicInteger inserts = new AtomicInteger();

  private ClientLimits(int maxConcurrent, double ratePerSecond, int burst, int maxClients) {
    this.maxConcurrent = maxConcurrent;
    this.ratePerSecond = ratePerSecond;
    this.burst = burst;
    this.maxClients = maxClients;
  }

  /**
   * Limits of {@code maxConcurrent} requests in flight (0: none) and {@code ratePerSecond} requests
   * a second with bursts of {@code burst} (rate 0: none; burst at least 1 with a rate).
   */
  public static ClientLimits of(int maxConcurrent, double ratePerSecond, int burst) {
    return of(maxConcurrent, ratePerSecond, burst, DEFAULT_MAX_CLIENTS);
  }

  /** As {@link #of(int, double, int)}, tracking at most {@code maxClients} clients. */
  public static ClientLimits of(int maxConcurrent, double ratePerSecond, int burst, int maxClients) {
    if (maxConcurrent < 0) {
      throw new IllegalArgumentException("maxConcurrent: " + maxConcurrent + " (expected: >= 0, 0 for no limit)");
    }
    if (!(ratePerSecond >= 0) || Double.isInfinite(ratePerSecond)) {
      throw new IllegalArgumentException("ratePerSecond: " + ratePerSecond + " (expected: >= 0, 0 for no limit)");
    }
    if (ratePerSecond > 0 && burst < 1) {
      throw new IllegalArgumentException("burst: " + burst + " (expected: >= 1 with a rate)");
    }
    if (maxClients < 1) {
      throw new IllegalArgumentException("maxClients: " + maxClients + " (expected: >= 1)");
    }
    if (maxConcurrent == 0 && ratePerSecond == 0) {
      return NONE;
    }
    return new ClientLimits(maxConcurrent, ratePerSecond, Math.max(burst, 1), maxClients);
  }

  public boolean isEnabled() {
    return maxConcurrent > 0 || ratePerSecond > 0;
  }

  public int maxConcurrent() {
    return maxConcurrent;
  }

  public double ratePerSecond() {
    return ratePerSecond;
  }

  public int burst() {
    return burst;
  }

  /** Clients currently tracked (for tests and metrics). */
  public int trackedClients() {
    return clients.size();
  }

  /**
   * Admits one request of {@code address} (called by the proxy): -1 when admitted (then {@link #release} must follow, once),
   * otherwise the seconds the client should wait ({@code Retry-After}).
   */
  public long admit(String address) {
    if (!isEnabled() || address == null) {
      return -1;
    }
    long now = System.nanoTime();
    if (!clients.containsKey(address) && clients.size() >= maxClients) {
      evictIdle(now);
      if (clients.size() >= maxClients) {
        return -1; // bounded memory first: untracked, not refused
      }
    }
    long[] wait = {-1};
    clients.compute(address, (a, c) -> {
      Client client = c != null ? c : new Client(burst, now);
      wait[0] = client.admit(now);
      return client.inFlight == 0 && client.full(now) ? null : client;
    });
    if ((inserts.incrementAndGet() & 0x3ff) == 0) {
      evictIdle(now); // now and then, so that clients that never come back are forgotten
    }
    return wait[0];
  }

  /** Ends a request {@link #admit} admitted. */
  public void release(String address) {
    if (!isEnabled() || address == null) {
      return;
    }
    long now = System.nanoTime();
    clients.computeIfPresent(address, (a, c) -> {
      if (c.inFlight > 0) {
        c.inFlight--;
      }
      return c.inFlight == 0 && c.full(now) ? null : c;
    });
  }

  private void evictIdle(long now) {
    for (Iterator<String> i = clients.keySet().iterator(); i.hasNext(); ) {
      clients.computeIfPresent(i.next(), (a, c) -> c.inFlight == 0 && c.full(now) ? null : c);
    }
  }

  /** Equal when the settings are; the counts are not compared. */
  @Override
  public boolean equals(Object o) {
    return o instanceof ClientLimits l && l.maxConcurrent == maxConcurrent && l.ratePerSecond == ratePerSecond
        && l.burst == burst && l.maxClients == maxClients;
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(maxConcurrent, ratePerSecond, burst, maxClients);
  }

  @Override
  public String toString() {
    return "max-concurrent " + maxConcurrent + ", rate " + ratePerSecond + "/s, burst " + burst;
  }

  /** One client's counts; changed only inside the map's compute for its address. */
  private final class Client {
    int inFlight;
    double tokens;
    long refilledAt;

    Client(int burst, long now) {
      this.tokens = burst;
      this.refilledAt = now;
    }

    long admit(long now) {
      if (maxConcurrent > 0 && inFlight >= maxConcurrent) {
        return 1;
      }
      if (ratePerSecond > 0) {
        refill(now);
        if (tokens < 1) {
          return Math.max(1, (long) Math.ceil((1 - tokens) / ratePerSecond));
        }
        tokens -= 1;
      }
      inFlight++;
      return -1;
    }

    void refill(long now) {
      tokens = Math.min(burst, tokens + (now - refilledAt) / 1e9 * ratePerSecond);
      refilledAt = now;
    }

    boolean full(long now) {
      if (ratePerSecond == 0) {
        return true;
      }
      refill(now);
      return tokens >= burst;
    }
  }
}
