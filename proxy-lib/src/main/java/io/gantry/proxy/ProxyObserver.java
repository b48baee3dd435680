package io.gantry.proxy;

import io.gantry.proxy.upstream.InstanceStatus;
import io.gantry.proxy.upstream.Upstream;
import java.util.List;

/**
 * Events of the proxy, for metrics, access logs and audits. Every method has an empty default, so
 * an observer implements only what it needs. Calls happen on Jetty's threads, on the request's
 * path: they must be quick and must not block.
 *
 * <p>For every request, in this order:
 *
 * <ol>
 *   <li>either {@link #onRouted} (a route was chosen; called before the upstream request is
 *       sent) or {@link #onRefused} (gantry answered itself; called before the answer is written);
 *   <li>at most one of {@link #onUpstreamFailure} (the upstream could not be reached or failed
 *       mid-way) and {@link #onClientFailure} (the client's request body broke or stalled);
 *   <li>exactly one {@link #onCompleted}, <em>after</em> the last byte of the response was handed
 *       to the connection (or the response failed): the client has, or will never get, the
 *       response; the exchange's byte counts are final.
 * </ol>
 *
 * Several observers compose ({@link ProxyBuilder#observer} adds one; {@link #all} combines them):
 * each is called in the order added.
 *
 * <pre>{@code
 * ProxyObserver printing = new ProxyObserver() {
 *   public void onCompleted(ProxyExchange e, int status) {
 *     System.out.printf("%s %s %s -> %d (%d bytes)%n", e.routeName(), e.method(), e.path(), status, e.bytesOut());
 *   }
 * };
 * RoutingProxyHandler.builder().routes(routes).observer(metrics).observer(printing).build();
 * }</pre>
 */
public interface ProxyObserver {
  /** Observes nothing. */
  ProxyObserver NONE = new ProxyObserver() {};

  /** A route matched and the request is about to go upstream. */
  default void onRouted(ProxyExchange exchange) {}

  /**
   * gantry answered {@code status} itself (misdirected, bad path, no route, or what Jetty refused
   * before routing: a malformed request, headers over the limit): no backend was contacted. {@code
   * reason} is the text the client gets; {@link ProxyExchange#refusal()} is its kind.
   */
  default void onRefused(ProxyExchange exchange, int status, String reason) {}

  /** The upstream could not be reached, timed out or failed; {@code status} is what the client gets. */
  default void onUpstreamFailure(ProxyExchange exchange, int status, Throwable failure) {}

  /**
   * The client sent a malformed or short request body, stopped sending, or went away: the
   * upstream exchange was aborted and {@code status} (400 or 408) is what the client gets if it
   * can still read. Never counted against the upstream.
   */
  default void onClientFailure(ProxyExchange exchange, int status, Throwable failure) {}

  /**
   * The instance {@code exchange} was sent to failed before answering, and the request (which has
   * no body) is being sent to another instance, now {@link ProxyExchange#instance()}.
   */
  default void onRetried(ProxyExchange exchange, Throwable failure) {}

  /** The exchange is over; {@code status} is the status sent to the client. */
  default void onCompleted(ProxyExchange exchange, int status) {}

  /**
   * An instance of {@code upstream} went out of service (ejected after failures, or failing its
   * health check) or came back; {@code status} is its new state. Called on the thread that saw it.
   */
  default void onInstanceChanged(Upstream upstream, InstanceStatus status) {}

  /** One observer calling each of {@code observers} in order. */
  static ProxyObserver all(List<ProxyObserver> observers) {
    List<ProxyObserver> list = observers.stream().filter(o -> o != NONE).toList();
    if (list.isEmpty()) {
      return NONE;
    }
    return list.size() == 1 ? list.get(0) : new Observers(list);
  }

  /** Several observers as one. */
  final class Observers implements ProxyObserver {
    private final ProxyObserver[] observers;

    private Observers(List<ProxyObserver> observers) {
      this.observers = observers.toArray(new ProxyObserver[0]);
    }

    @Override
    public void onRouted(ProxyExchange exchange) {
      for (ProxyObserver o : observers) {
        o.onRouted(exchange);
      }
    }

    @Override
    public void onRefused(ProxyExchange exchange, int status, String reason) {
      for (ProxyObserver o : observers) {
        o.onRefused(exchange, status, reason);
      }
    }

    @Override
    public void onUpstreamFailure(ProxyExchange exchange, int status, Throwable failure) {
      for (ProxyObserver o : observers) {
        o.onUpstreamFailure(exchange, status, failure);
      }
    }

    @Override
    public void onClientFailure(ProxyExchange exchange, int status, Throwable failure) {
      for (ProxyObserver o : observers) {
        o.onClientFailure(exchange, status, failure);
      }
    }

    @Override
    public void onRetried(ProxyExchange exchange, Throwable failure) {
      for (ProxyObserver o : observers) {
        o.onRetried(exchange, failure);
      }
    }

    @Override
    public void onCompleted(ProxyExchange exchange, int status) {
      for (ProxyObserver o : observers) {
        o.onCompleted(exchange, status);
      }
    }

    @Override
    public void onInstanceChanged(Upstream upstream, InstanceStatus status) {
      for (ProxyObserver o : observers) {
        o.onInstanceChanged(upstream, status);
      }
    }
  }
}
