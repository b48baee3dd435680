package io.gantry.proxy;

/**
 * Events of the proxy, for metrics and access logs. Every method has an empty default, so a
 * listener implements only what it needs; calls happen on Jetty's threads and must not block.
 *
 * <p>For every request exactly one {@link #onCompleted} is called at the end; before it, either
 * {@link #onRouted} (a route was chosen and the upstream request is about to be sent) or {@link
 * #onRefused} (answered by gantry without contacting a backend), and {@link #onUpstreamFailure}
 * when the upstream could not be reached or failed mid-way.
 *
 * <pre>{@code
 * ProxyListener counting = new ProxyListener() {
 *   public void onCompleted(ProxyExchange e, int status) {
 *     System.out.printf("%s %s %s -> %d (%d bytes)%n", e.routeName(), e.method(), e.path(), status, e.bytesOut());
 *   }
 * };
 * }</pre>
 */
public interface ProxyListener {
  /** Listens to nothing. */
  ProxyListener NONE = new ProxyListener() {};

  /** A route matched and the request is about to go upstream. */
  default void onRouted(ProxyExchange exchange) {}

  /** gantry answered {@code status} itself (bad path, no route): no backend was contacted. */
  default void onRefused(ProxyExchange exchange, int status, String reason) {}

  /** The upstream could not be reached, timed out or failed; {@code status} is what the client gets. */
  default void onUpstreamFailure(ProxyExchange exchange, int status, Throwable failure) {}

  /**
   * The client sent a malformed or short request body, stopped sending, or went away: the
   * upstream exchange was aborted and {@code status} (400 or 408) is what the client gets if it
   * can still read. Never counted against the upstream.
   */
  default void onClientFailure(ProxyExchange exchange, int status, Throwable failure) {}

  /** The exchange is over; {@code status} is the status sent to the client. */
  default void onCompleted(ProxyExchange exchange, int status) {}
}
