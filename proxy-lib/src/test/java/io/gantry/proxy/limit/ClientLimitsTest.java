package io.gantry.proxy.limit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Per-client counts: admission, release, Retry-After, and memory bounded by forgetting idle clients. */
class ClientLimitsTest {
  @Test
  void concurrencyIsPerClientAndReleased() {
    ClientLimits limits = ClientLimits.of(2, 0, 0);
    assertEquals(-1, limits.admit("10.0.0.1"));
    assertEquals(-1, limits.admit("10.0.0.1"));
    assertEquals(1, limits.admit("10.0.0.1"));
    assertEquals(-1, limits.admit("10.0.0.2"));
    limits.release("10.0.0.1");
    assertEquals(-1, limits.admit("10.0.0.1"));
    limits.release("10.0.0.1");
    limits.release("10.0.0.1");
    limits.release("10.0.0.2");
    assertEquals(0, limits.trackedClients(), "clients with nothing in flight are forgotten");
  }

  @Test
  void rateRefusesWithTheSecondsUntilATokenIsBack() {
    ClientLimits limits = ClientLimits.of(0, 0.5, 1);
    assertEquals(-1, limits.admit("10.0.0.1"));
    limits.release("10.0.0.1");
    long wait = limits.admit("10.0.0.1");
    assertTrue(wait >= 1 && wait <= 2, "wait " + wait);
  }

  @Test
  void trackedClientsAreBoundedAndExtraOnesLetThrough() {
    ClientLimits limits = ClientLimits.of(1, 0, 0, 2);
    assertEquals(-1, limits.admit("10.0.0.1"));
    assertEquals(-1, limits.admit("10.0.0.2"));
    assertEquals(-1, limits.admit("10.0.0.3"), "over the bound: let through untracked, not refused");
    assertEquals(2, limits.trackedClients());
  }

  @Test
  void invalidLimitsAreRefusedAndZeroMeansNone() {
    assertSame(ClientLimits.NONE, ClientLimits.of(0, 0, 0));
    assertEquals(-1, ClientLimits.NONE.admit("10.0.0.1"));
    assertThrows(IllegalArgumentException.class, () -> ClientLimits.of(-1, 0, 0));
    assertThrows(IllegalArgumentException.class, () -> ClientLimits.of(0, -1, 1));
    assertThrows(IllegalArgumentException.class, () -> ClientLimits.of(0, 5, 0));
  }
}
