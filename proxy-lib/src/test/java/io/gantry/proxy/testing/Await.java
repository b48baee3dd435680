package io.gantry.proxy.testing;

import java.util.function.BooleanSupplier;

/** Waits for state that Jetty updates after the response reached the client (observers, logs). */
public final class Await {
  private Await() {}

  public static void until(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within 5 s");
      }
      Thread.sleep(10);
    }
  }
}
