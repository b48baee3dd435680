package io.gantry.server.connector;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.component.Graceful;

/**
 * Counts the requests in flight, per connector (a listener removed by a reload is stopped once
 * its last exchange has completed) and in all, for a graceful stop: Jetty's {@code Server.stop()}
 * waits for {@link #shutdown()} up to the stop timeout (gantry's {@code shutdown-grace}).
 *
 * <p>Unlike Jetty's {@code GracefulHandler}, which answers 503 to every request that arrives once
 * the stop has begun, requests that still come on open connections are served: a client that sent
 * its request just before it could see the connection close (a Docker daemon between two layers)
 * gets its answer, and {@code Connection: close} with it, so it opens its next connection
 * elsewhere. {@link #closeConnections()} does the same ahead of the stop, during {@code
 * shutdown-delay}.
 */
public final class InFlightRequests extends Handler.Wrapper implements Graceful {
  private final Map<Connector, AtomicInteger> counts = new ConcurrentHashMap<>();
  private final AtomicInteger total = new AtomicInteger();
  private final Graceful.Shutdown shutdown = new Graceful.Shutdown(this) {
    @Override
    public boolean isShutdownDone() {
      return total.get() == 0;
    }
  };
  private volatile boolean closing;

  public InFlightRequests(Handler next) {
    super(next);
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    if (closing && request.getConnectionMetaData().getHttpVersion().getVersion() < HttpVersion.HTTP_2.getVersion()) {
      // HTTP/2 has no Connection header: Jetty's stop sends those connections a GOAWAY instead.
      response.getHeaders().put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
    }
    Connector connector = request.getConnectionMetaData().getConnector();
    AtomicInteger count = null;
    if (connector != null) {
      count = counts.get(connector);
      if (count == null) {
        count = counts.computeIfAbsent(connector, c -> new AtomicInteger());
      }
      count.incrementAndGet();
    }
    total.incrementAndGet();
    AtomicInteger counted = count;
    Runnable done = () -> {
      if (counted != null) {
        counted.decrementAndGet();
      }
      if (total.decrementAndGet() == 0 && shutdown.isShutdown()) {
        shutdown.check();
      }
    };
    boolean handled = false;
    try {
      handled = super.handle(request, response, Callback.from(callback, done));
      return handled;
    } finally {
      if (!handled) {
        done.run();
      }
    }
  }

  /** From now on every HTTP/1.x response says {@code Connection: close}. */
  public void closeConnections() {
    closing = true;
  }

  @Override
  public CompletableFuture<Void> shutdown() {
    closing = true;
    return shutdown.shutdown();
  }

  @Override
  public boolean isShutdown() {
    return shutdown.isShutdown();
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
