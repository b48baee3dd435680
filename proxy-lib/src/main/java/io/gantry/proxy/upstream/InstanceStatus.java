package io.gantry.proxy.upstream;

/**
 * What the proxy knows of one instance of an upstream, at one moment: for health endpoints,
 * metrics and operators. Addresses appear here, which is for the admin side only.
 *
 * @param url the instance's URL
 * @param state {@code up}, {@code ejected} (failed real requests; back after {@code
 *     ejectedForMillis}) or {@code failing-check} (its health check fails)
 * @param inFlight requests it is serving
 * @param consecutiveFailures failures since its last success
 * @param ejectedForMillis how long it stays ejected, 0 unless ejected
 * @param lastFailure the last failure seen, or {@code null}
 */
public record InstanceStatus(String url, String state, int inFlight, int consecutiveFailures, long ejectedForMillis,
    String lastFailure) {
  /** Whether new requests may go to the instance. */
  public boolean isUp() {
    return "up".equals(state);
  }
}
