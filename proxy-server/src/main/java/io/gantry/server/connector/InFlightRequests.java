package io.gantry.server.connector;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Counts the requests in flight per connector, so that a listener removed by a reload is stopped
 * only once its last exchange has completed (Jetty's own graceful shutdown counts per server).
 */
public final class InFlightRequests extends Handler.Wrapper {
  private final Map<Connector, AtomicInteger> counts = new ConcurrentHashMap<>();

  public InFlightRequests(Handler next) {
    super(next);
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    Connector connector = request.getConnectionMetaData().getConnector();
    if (connector == null) {
      return super.handle(request, response, callback);
    }
    AtomicInteger count = counts.get(connector);
    if (count == null) {
      count = counts.computeIfAbsent(connector, c -> new AtomicInteger());
    }
    count.incrementAndGet();
    AtomicInteger counted = count;
    boolean handled = false;
    try {
      handled = super.handle(request, response, Callback.from(callback, counted::decrementAndGet));
      return handled;
    } finally {
      if (!handled) {
        counted.decrementAndGet();
      }
    }
  }

  /** Requests that arrived on {@code connector} and have not completed. */
  public int inFlight(Connector connector) {
    AtomicInteger count = counts.get(connector);
    return count == null ? 0 : count.get();
  }

  /** Forgets a connector that was stopped. */
  public void forget(Connector connector) {
    counts.remove(connector);
  }
}
