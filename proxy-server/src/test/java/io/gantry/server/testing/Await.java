package io.gantry.server.testing;

import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Waits for state that Jetty updates after the response reached the client. */
public final class Await {
  private Await() {}

  public static void until(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within 5 s: " + what);
      }
      Thread.sleep(10);
    }
  }

  public static <T> void equal(T expected, Supplier<T> actual) throws InterruptedException {
    until("expected " + expected, () -> expected.equals(actual.get()));
  }
}
