package io.gantry.proxy;

import io.gantry.proxy.upstream.HealthCheck;
import io.gantry.proxy.upstream.Upstream;
import io.gantry.proxy.upstream.UpstreamPools;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The active checks of the upstreams that have a {@link HealthCheck}: each instance is checked on
 * the scheduler and with the HTTP client its requests use (no threads or connections of its own),
 * and the result goes to {@link UpstreamPools#checked}. Runs between {@link #start} and {@link
 * #stop}; {@link #update} after a reload starts new checks and ends the dropped ones.
 */
final class HealthChecks {
  private static final Logger LOG = LoggerFactory.getLogger(HealthChecks.class);

  private final UpstreamPools pools;
  private final Map<Upstream, List<Check>> running = new ConcurrentHashMap<>();
  private volatile Function<Upstream, HttpClient> clients;

  HealthChecks(UpstreamPools pools) {
    this.pools = pools;
  }

  synchronized void start(Function<Upstream, HttpClient> clients, Collection<Upstream> upstreams) {
    this.clients = clients;
    update(upstreams);
  }

  /** Checks exactly the {@code upstreams} that have a health check; a no-op before {@link #start}. */
  synchronized void update(Collection<Upstream> upstreams) {
    if (clients == null) {
      return;
    }
    running.entrySet().removeIf(entry -> {
      if (upstreams.contains(entry.getKey())) {
        return false;
      }
      entry.getValue().forEach(Check::cancel);
      return true;
    });
    for (Upstream upstream : upstreams) {
      if (upstream.healthCheck() != null && !running.containsKey(upstream)) {
        HttpClient client = clients.apply(upstream);
        List<Check> checks = new ArrayList<>();
        for (Upstream.Instance instance : upstream.instances()) {
          Check check = new Check(client, upstream, instance);
          checks.add(check);
          check.run();
        }
        running.put(upstream, checks);
      }
    }
  }

  synchronized void stop() {
    running.values().forEach(checks -> checks.forEach(Check::cancel));
    running.clear();
    clients = null;
  }

  /** The check of one instance; schedules its next run when the last one ends. */
  private final class Check implements Runnable {
    private final HttpClient client;
    private final Upstream upstream;
    private final Upstream.Instance instance;
    private final HealthCheck check;
    private final String url;
    private volatile boolean cancelled;

    Check(HttpClient client, Upstream upstream, Upstream.Instance instance) {
      this.client = client;
      this.upstream = upstream;
      this.instance = instance;
      this.check = upstream.healthCheck();
      this.url = check.url(instance);
    }

    void cancel() {
      cancelled = true;
    }

    @Override
    public void run() {
      if (cancelled || !client.isRunning()) {
        return;
      }
      try {
        client.newRequest(url)
            .method(HttpMethod.GET)
            .headers(h -> h.put(HttpHeader.USER_AGENT, "gantry-health-check"))
            .timeout(check.timeout().toMillis(), TimeUnit.MILLISECONDS)
            .send(this::checked);
      } catch (RuntimeException e) {
        LOG.debug("health check of {} could not be sent", instance, e);
        next();
      }
    }

    private void checked(Result result) {
      if (!cancelled) {
        int status = result.getResponse() == null ? 0 : result.getResponse().getStatus();
        boolean passed = result.isSucceeded() && check.passes(status);
        String detail = result.getFailure() != null ? UpstreamFailures.describe(result.getFailure()) : "answered " + status;
        pools.checked(upstream, instance, passed, detail);
      }
      next();
    }

    private void next() {
      if (!cancelled && client.isRunning()) {
        client.getScheduler().schedule(this, check.interval().toMillis(), TimeUnit.MILLISECONDS);
      }
    }
  }
}
