package io.gantry.proxy;

import io.gantry.proxy.route.RouteTable;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.eclipse.jetty.client.AbstractConnectionPool;
import org.eclipse.jetty.client.ConnectionPool;
import org.eclipse.jetty.client.Destination;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.transport.HttpDestination;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * Stops the upstream clients that a swapped route table no longer needs, once nothing runs on
 * them. Each client holds a selector thread leased from the server's pool and its pooled
 * connections, so without this every reload that changes an upstream's connect timeout, trust
 * store or connection limit (or drops it) would leave one running for good, and enough reloads
 * would lease the pool empty. A client is stopped after two checks a second apart found it idle,
 * so a request the old table routed just before the swap still finds it, and one still streaming
 * keeps it until it ends.
 */
final class ClientRetirement {
  private static final long CHECK_MILLIS = 1000;

  private final Supplier<Map<UpstreamClients.Key, HttpClient>> running;
  private final Supplier<Set<UpstreamClients.Key>> needed;
  private final Consumer<UpstreamClients.Key> retire;
  private final Set<UpstreamClients.Key> idleOnce = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean scheduled = new AtomicBoolean();

  /**
   * @param running the engine's clients by key now
   * @param needed  the keys the current route table needs
   * @param retire  takes a client out of the engine's maps and stops it
   */
  ClientRetirement(Supplier<Map<UpstreamClients.Key, HttpClient>> running, Supplier<Set<UpstreamClients.Key>> needed,
      Consumer<UpstreamClients.Key> retire) {
    this.running = running;
    this.needed = needed;
    this.retire = retire;
  }

  /** The keys of the clients {@code table}'s upstreams need. */
  static Set<UpstreamClients.Key> keysOf(RouteTable table, ProxySettings settings) {
    return table.routes().stream().map(r -> UpstreamClients.Key.of(r.upstream(), settings)).collect(Collectors.toSet());
  }

  /** Looks again in a second, after a route table swap; the checks go on while a client waits. */
  void check(Scheduler scheduler) {
    if (scheduled.compareAndSet(false, true)) {
      try {
        scheduler.schedule(() -> sweep(scheduler), CHECK_MILLIS, TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException stopping) {
        scheduled.set(false); // the server stops, and its clients with it
      }
    }
  }

  private void sweep(Scheduler scheduler) {
    scheduled.set(false);
    Set<UpstreamClients.Key> inUse = needed.get();
    boolean waiting = false;
    for (Map.Entry<UpstreamClients.Key, HttpClient> e : running.get().entrySet()) {
      UpstreamClients.Key key = e.getKey();
      if (inUse.contains(key) || !idle(e.getValue())) {
        idleOnce.remove(key);
        waiting |= !inUse.contains(key);
      } else if (idleOnce.remove(key)) {
        retire.accept(key);
      } else {
        idleOnce.add(key);
        waiting = true;
      }
    }
    if (waiting) {
      check(scheduler);
    }
  }

  /** Whether nothing runs on {@code client}: no connection in use or being opened, no request queued. */
  static boolean idle(HttpClient client) {
    for (Destination destination : client.getDestinations()) {
      if (destination instanceof HttpDestination http && http.getQueuedRequestCount() > 0) {
        return false;
      }
      ConnectionPool pool = destination.getConnectionPool();
      boolean busy = pool instanceof AbstractConnectionPool counted
          ? counted.getActiveConnectionCount() + counted.getPendingConnectionCount() > 0
          : !pool.isEmpty();
      if (busy) {
        return false;
      }
    }
    return true;
  }
}
