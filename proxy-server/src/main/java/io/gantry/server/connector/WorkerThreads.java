package io.gantry.server.connector;

import java.util.Collection;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.ThreadPoolBudget;

/**
 * {@code max-threads = auto} on the handler engine: the server's pool holds the threads its
 * connectors and upstream clients lease (acceptors, selectors) plus {@value #PER_CORE} workers per
 * core, and is fitted again before a reload starts new listeners or clients.
 *
 * <p>The handler never parks a thread, so a worker more than the cores can run only lengthens a
 * busy core's run queue: the tail latency of small requests grows with it, and while the JIT
 * compiles (the first minute after a start) its compiler thread gets a smaller share of the core.
 * A pool sized once at start would instead run out of workers, or refuse the reload (Jetty's
 * "insufficient configured threads"), once a reload added enough listeners and upstreams.
 */
public final class WorkerThreads {
  /** Workers per core beside the leased threads. */
  public static final int PER_CORE = 4;

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
    pool.setMaxThreads(leased + leasesToCome + PER_CORE * Runtime.getRuntime().availableProcessors());
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
