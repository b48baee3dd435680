package io.gantry.server.connector;

import java.util.Collection;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.ThreadPoolBudget;

/**
 * {@code max-threads = auto} on the handler engine: the server's pool holds the threads its
 * connectors and upstream clients lease (acceptors, selectors) plus {@value #PER_CORE} workers per
 * core, {@value #AT_LEAST} at least, fitted again by every reload: before it starts new listeners
 * and clients (counting a new client for every upstream, at most one too many each) and, exactly,
 * once they run. A pool sized once at start ran out of workers, or refused the reload (Jetty's
 * "insufficient configured threads"), once a reload added enough listeners and upstreams.
 *
 * <p>The handler never parks a thread, so more workers only lengthen a busy core's run queue
 * (256 → 16 on one core halved the p99 of small requests). Fewer than these were measured too
 * (docs/performance.md): 4 per core halved the HTTP/1.1 p99 once more, but cost HTTP/2 with many
 * streams per connection a third of its throughput and TLS handshake bursts 30-50% more CPU.
 */
public final class WorkerThreads {
  /** Workers per core beside the leased threads. */
  public static final int PER_CORE = 8;
  /** The pool's size at least, leased threads included. */
  public static final int AT_LEAST = 16;

  private final QueuedThreadPool pool;

  public WorkerThreads(QueuedThreadPool pool) {
    this.pool = pool;
  }

  /**
   * Sizes the pool for the threads leased now, {@code leasesToCome} more, and the workers; call it
   * before starting what leases them.
   */
  public void fit(int leasesToCome) {
    ThreadPoolBudget budget = pool.getThreadPoolBudget();
    int leased = budget == null ? 0 : budget.getLeasedThreads();
    int workers = PER_CORE * Runtime.getRuntime().availableProcessors();
    pool.setMaxThreads(Math.max(AT_LEAST, leased + leasesToCome + workers));
  }

  /**
   * The threads {@code connectors} lease once started, and one selector for each of
   * {@code upstreams} (an upstream client has one; upstreams with the same settings share one).
   */
  public static int leases(Collection<? extends Connector> connectors, int upstreams) {
    int leases = upstreams;
    for (Connector c : connectors) {
      if (c instanceof ServerConnector sc) {
        leases += sc.getAcceptors() + sc.getSelectorManager().getSelectorCount();
      }
    }
    return leases;
  }
}
