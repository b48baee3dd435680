package io.gantry.proxy.upstream;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * The live state of every upstream instance a proxy sends to: which are up, how busy, and which
 * one a request goes to. Health is kept per server ({@link Upstream.Instance#origin()}), so
 * upstreams with other prefixes on the same Nexus share what is learned about it, and it survives
 * a reload that keeps the server. Thread-safe; a request's pick costs a few reads.
 */
public final class UpstreamPools {
  /** Told when an instance goes out of service or comes back. */
  public interface Listener {
    /** {@code status} is the instance's new state in {@code upstream}. */
    void changed(Upstream upstream, Upstream.Instance instance, InstanceStatus status);
  }

  private final Map<String, Health> health = new ConcurrentHashMap<>();
  private final Map<Upstream, AtomicInteger> turns = new ConcurrentHashMap<>();
  private final LongSupplier nanoClock;
  private final Listener listener;

  public UpstreamPools(Listener listener) {
    this(listener, System::nanoTime);
  }

  /** With its own clock, for tests of back-off. */
  public UpstreamPools(Listener listener, LongSupplier nanoClock) {
    this.listener = listener;
    this.nanoClock = nanoClock;
  }

  /**
   * The instance of {@code upstream} a new request goes to, or {@code null} when none that is not
   * in {@code tried} is up.
   *
   * @param clientAddress what {@linkplain Upstream#sticky() sticky} upstreams hash
   * @param tried origins this request already failed on, or empty
   */
  public Upstream.Instance pick(Upstream upstream, String clientAddress, Set<String> tried) {
    List<Upstream.Instance> instances = upstream.instances();
    long now = nanoClock.getAsLong();
    int n = instances.size();
    if (n == 1) {
      // As nginx: an upstream with one instance is never ejected for failing real requests (it
      // would only turn the failures into 503s, and delay its comeback); its own health check, if
      // it has one, still takes it out (not another upstream's on the same server).
      Upstream.Instance only = instances.get(0);
      boolean out = upstream.healthCheck() != null && health(only).checkFailing;
      return !tried.contains(only.origin()) && !out ? only : null;
    }
    int start;
    if (upstream.sticky() && clientAddress != null) {
      start = Math.floorMod(clientAddress.hashCode() * 0x9E3779B9, n);
    } else {
      start = Math.floorMod(turns.computeIfAbsent(upstream, u -> new AtomicInteger()).getAndIncrement(), n);
    }
    Upstream.Instance best = null;
    int bestLoad = Integer.MAX_VALUE;
    for (int i = 0; i < n; i++) {
      Upstream.Instance candidate = instances.get((start + i) % n);
      Health h = health(candidate);
      if (tried.contains(candidate.origin()) || !h.available(now)) {
        continue;
      }
      if (upstream.balance() == Balance.ROUND_ROBIN || upstream.sticky()) {
        return candidate;
      }
      int load = h.inFlight.get();
      if (load < bestLoad) {
        best = candidate;
        bestLoad = load;
      }
    }
    return best;
  }

  /** A request started on {@code instance}; pair with {@link #finished}. */
  public void started(Upstream.Instance instance) {
    health(instance).inFlight.incrementAndGet();
  }

  /** A request that {@link #started} on {@code instance} ended, however. */
  public void finished(Upstream.Instance instance) {
    health(instance).inFlight.decrementAndGet();
  }

  /** {@code instance} answered; an ejected instance whose trial succeeded is back. */
  public void succeeded(Upstream upstream, Upstream.Instance instance) {
    Health h = health(instance);
    if ((h.failures != 0 || h.ejected) && h.succeeded(nanoClock.getAsLong())) {
      tell(upstream, instance, h);
    }
  }

  /**
   * {@code instance} failed a real request ({@code why}, for operators); enough in a row eject it
   * from upstreams with several instances.
   */
  public void failed(Upstream upstream, Upstream.Instance instance, String why) {
    Health h = health(instance);
    if (h.failed(upstream, nanoClock.getAsLong(), why)) {
      tell(upstream, instance, h);
    }
  }

  /** An active check of {@code instance} passed or not ({@code detail} says what it got). */
  public void checked(Upstream upstream, Upstream.Instance instance, boolean passed, String detail) {
    Health h = health(instance);
    if (h.checked(upstream.healthCheck(), passed, detail, nanoClock.getAsLong())) {
      tell(upstream, instance, h);
    }
  }

  private void tell(Upstream upstream, Upstream.Instance instance, Health h) {
    listener.changed(upstream, instance, h.status(instance, nanoClock.getAsLong()));
  }

  /** The state of each instance of {@code upstream}, in its order. */
  public List<InstanceStatus> status(Upstream upstream) {
    long now = nanoClock.getAsLong();
    List<InstanceStatus> out = new ArrayList<>(upstream.instances().size());
    for (Upstream.Instance instance : upstream.instances()) {
      out.add(health(instance).status(instance, now));
    }
    return out;
  }

  /** Forgets the servers none of {@code upstreams} has any more (after a reload). */
  public void retain(Collection<Upstream> upstreams) {
    Set<String> origins = new HashSet<>();
    upstreams.forEach(u -> u.instances().forEach(i -> origins.add(i.origin())));
    health.keySet().retainAll(origins);
    turns.keySet().retainAll(new HashSet<>(upstreams));
  }

  private Health health(Upstream.Instance instance) {
    Health h = health.get(instance.origin());
    return h != null ? h : health.computeIfAbsent(instance.origin(), o -> new Health());
  }

  /** One server's state. Reads on the request path are lock-free; transitions are synchronized. */
  private static final class Health {
    final AtomicInteger inFlight = new AtomicInteger();
    volatile long ejectedUntil;
    volatile boolean ejected;
    volatile boolean checkFailing;
    volatile int failures;
    volatile int ejections;
    int checkFailures;
    int checkPasses;
    volatile String lastFailure;

    boolean available(long now) {
      return !checkFailing && (!ejected || now - ejectedUntil >= 0);
    }

    synchronized boolean failed(Upstream upstream, long now, String why) {
      lastFailure = why;
      failures++;
      if (upstream.instances().size() == 1) {
        return false;
      }
      if (ejected && now - ejectedUntil >= 0) {
        return eject(upstream, now); // its trial after an ejection failed: out again, for longer
      }
      if (!ejected && failures >= upstream.ejectAfter()) {
        return eject(upstream, now);
      }
      return false;
    }

    private boolean eject(Upstream upstream, long now) {
      long first = upstream.ejection().toNanos();
      long backOff = Math.min(first << Math.min(ejections, 20), upstream.maxEjection().toNanos());
      ejectedUntil = now + backOff;
      ejected = true;
      ejections++;
      failures = 0;
      return true;
    }

    synchronized boolean succeeded(long now) {
      failures = 0;
      if (ejected && now - ejectedUntil >= 0) {
        ejected = false;
        ejections = 0;
        return !checkFailing;
      }
      return false;
    }

    synchronized boolean checked(HealthCheck check, boolean passed, String detail, long now) {
      if (passed) {
        checkFailures = 0;
        if (checkFailing && ++checkPasses >= check.healthyAfter()) {
          checkFailing = false;
          checkPasses = 0;
          ejected = false; // the check is the better witness: no need to wait out a back-off too
          ejections = 0;
          return true;
        }
        if (!checkFailing && ejected && now - ejectedUntil < 0) {
          ejected = false; // it answers its check again: back before the back-off ends
          ejections = 0;
          return true;
        }
        return false;
      }
      lastFailure = "health check: " + detail;
      checkPasses = 0;
      if (!checkFailing && ++checkFailures >= check.unhealthyAfter()) {
        checkFailing = true;
        checkFailures = 0;
        return true;
      }
      return false;
    }

    InstanceStatus status(Upstream.Instance instance, long now) {
      long left = ejected ? Math.max(0, (ejectedUntil - now) / 1_000_000) : 0;
      String state = checkFailing ? "failing-check" : left > 0 ? "ejected" : "up";
      return new InstanceStatus(instance.url(), state, inFlight.get(), failures, left, lastFailure);
    }
  }
}
