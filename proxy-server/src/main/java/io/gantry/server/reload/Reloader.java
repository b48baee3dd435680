package io.gantry.server.reload;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
import io.gantry.server.admin.ConfigEndpoint;
import io.gantry.server.config.ConfigLoader;
import io.gantry.server.config.ConfigProblem;
import io.gantry.server.config.GantryConfig;
import io.gantry.server.config.InvalidConfigException;
import io.gantry.server.config.ReloadConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reloads the running server from its configuration file: reads it, validates it completely
 * ({@link ConfigLoader}), and has the server switch to it ({@link ReloadTarget#apply}), one reload
 * at a time on a thread of its own. A refused reload is logged with every problem's file, line
 * and key; the running configuration keeps serving.
 *
 * <p>Triggers: {@link #reload()} (the admin endpoint's {@code POST /config/reload}, which waits for
 * the answer), {@link #reloadAsync()}, SIGHUP once {@link #handleSignals()} was called, and with
 * {@code gantry.reload.watch} a changed file once {@link #startWatching()} was called: the
 * configuration file or one it names ({@link WatchedFiles}), watched by a {@link ConfigWatcher}
 * and reloaded when its content hash differs from the one the last reload attempt read. All of
 * them run on the one reload thread, one after the other.
 * Metrics: {@code gantry.config.reloads.succeeded} and {@code .failed} (counters), {@code
 * gantry.config.reloads.last-success} (gauge: epoch seconds of the last applied reload, 0 before),
 * {@code gantry.config.reloads.watch-triggered} (counter: reloads a watched change started).
 *
 * <pre>{@code
 * Reloader reloader = new Reloader(server, registry);
 * reloader.handleSignals();                       // kill -HUP <pid>
 * ReloadResult result = reloader.reload();        // or from code
 * }</pre>
 */
public final class Reloader implements ConfigEndpoint {
  private static final Logger LOG = LoggerFactory.getLogger(Reloader.class);
  /** Metric names. */
  public static final String SUCCEEDED = "gantry.config.reloads.succeeded";
  public static final String FAILED = "gantry.config.reloads.failed";
  public static final String LAST_SUCCESS = "gantry.config.reloads.last-success";
  public static final String WATCH_TRIGGERED = "gantry.config.reloads.watch-triggered";

  private final ReloadTarget target;
  private final ConfigLoader loader;
  private final ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "gantry-reload");
    t.setDaemon(true);
    return t;
  });
  private final Counter succeeded;
  private final Counter failed;
  private final Counter watchTriggered;
  /** The watched files' hashes as the last reload attempt (or the start) read them. */
  private volatile Map<Path, String> seen;
  private ConfigWatcher watcher;
  private boolean closed;
  private volatile Instant lastSuccess;
  private volatile Loaded loaded;
  private volatile ReloadResult last;

  /** The file in effect: its hash and when it was loaded. */
  private record Loaded(Path file, String sha256, Instant at) {}

  public Reloader(ReloadTarget target, MetricRegistry metrics) {
    this(target, metrics, ConfigLoader.defaults());
  }

  public Reloader(ReloadTarget target, MetricRegistry metrics, ConfigLoader loader) {
    this.target = target;
    this.loader = loader;
    Path file = target.config().file();
    this.loaded = new Loaded(file, file == null ? "" : WatchedFiles.sha256(file), Instant.now());
    this.succeeded = metrics.counter(SUCCEEDED);
    this.failed = metrics.counter(FAILED);
    this.watchTriggered = metrics.counter(WATCH_TRIGGERED);
    this.seen = WatchedFiles.hashes(WatchedFiles.of(target.config()));
    metrics.gauge(LAST_SUCCESS, () -> (Gauge<Long>) () -> lastSuccess == null ? 0L : lastSuccess.getEpochSecond());
  }

  /** Reloads on SIGHUP (the signal thread only hands the work to the reload thread). */
  public void handleSignals() {
    try {
      sun.misc.Signal.handle(new sun.misc.Signal("HUP"), signal -> {
        LOG.info("SIGHUP: reloading {}", target.config().file());
        reloadAsync();
      });
    } catch (IllegalArgumentException | UnsupportedOperationException e) {
      LOG.warn("SIGHUP cannot be handled on this platform ({}); reload through the admin endpoint", e.getMessage());
    }
  }

  /**
   * Watches the configuration's files when {@code gantry.reload.watch} is on (the server calls this
   * once it serves); a reload applies a changed setting: the watch starts, stops or takes the new
   * debounce.
   */
  public void startWatching() {
    watching(target.config().reload());
  }

  private synchronized void watching(ReloadConfig settings) {
    if (closed) {
      return;
    }
    if (!settings.watch()) {
      if (watcher != null) {
        watcher.close();
        watcher = null;
        LOG.info("config watch: off");
      }
      return;
    }
    if (watcher != null) {
      watcher.debounce(settings.debounce());
      watcher.register(); // the files may be others now
      return;
    }
    try {
      watcher = new ConfigWatcher(() -> WatchedFiles.of(target.config()), settings.debounce(), this::checkWatched).start();
      LOG.info("config watch: reloading when {} or a file it names changes (debounce {} ms; watching {})",
          target.config().file(), settings.debounce().toMillis(), watcher.directories());
    } catch (IOException | RuntimeException e) {
      LOG.warn("config watch: cannot watch the configuration's files ({}); reload with SIGHUP or the admin endpoint",
          e.toString());
    }
  }

  /** After a watched event settled: reloads when a watched file's content differs from what the last attempt read. */
  private void checkWatched() {
    Map<Path, String> now = WatchedFiles.hashes(WatchedFiles.of(target.config()));
    List<Path> changed = WatchedFiles.changed(seen, now);
    if (changed.isEmpty()) {
      LOG.debug("config watch: events, but no watched file's content changed");
      return;
    }
    watchTriggered.inc();
    LOG.info("config watch: {} changed; reloading {}", changed, target.config().file());
    reloadAsync().whenComplete((result, error) -> {
      if (error != null) {
        LOG.error("config watch: the reload failed: {}", error.toString());
      } else {
        LOG.info("config watch: reload {} ({} ms){}", result.outcome().label(), result.took().toMillis(),
            result.applied() ? "" : "; the running configuration keeps serving");
      }
    });
  }

  /** Starts a reload after any running one; the future completes with its result. */
  public CompletableFuture<ReloadResult> reloadAsync() {
    return CompletableFuture.supplyAsync(this::reloadNow, executor);
  }

  /** Reloads (after any running reload) and returns the result. */
  public ReloadResult reload() {
    try {
      return reloadAsync().get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while reloading", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("reload failed", e.getCause());
    }
  }

  /** The last reload attempt, or null before the first. */
  public ReloadResult lastResult() {
    return last;
  }

  private ReloadResult reloadNow() {
    Instant at = Instant.now();
    long start = System.nanoTime();
    Path file = target.config().file();
    String hash = "";
    ReloadResult result;
    // what this attempt reads: a watched change after this point is a change to reload again
    Map<Path, String> read = new LinkedHashMap<>(WatchedFiles.hashes(WatchedFiles.of(target.config())));
    try {
      hash = read.getOrDefault(file.toAbsolutePath().normalize(), "");
      GantryConfig next;
      try {
        next = loader.load(file);
      } catch (InvalidConfigException e) {
        throw new ReloadRefusedException(ReloadRefusedException.Reason.INVALID, e.errors());
      }
      next.warnings().forEach(w -> LOG.warn("{}", w));
      for (Path named : WatchedFiles.of(next)) {
        read.computeIfAbsent(named, WatchedFiles::sha256);
      }
      List<String> changes = target.apply(next);
      result = new ReloadResult(ReloadResult.Outcome.APPLIED, file.toString(), hash, at,
          Duration.ofNanos(System.nanoTime() - start), changes, List.of());
      loaded = new Loaded(file, hash, Instant.now());
      lastSuccess = loaded.at();
      succeeded.inc();
      LOG.info("reloaded {} in {} ms{}", file, result.took().toMillis(), changes.isEmpty() ? " (no changes but certificates)" : ":");
      changes.forEach(c -> LOG.info("  {}", c));
      watching(next.reload());
    } catch (ReloadRefusedException e) {
      result = new ReloadResult(e.reason() == ReloadRefusedException.Reason.NEEDS_RESTART
          ? ReloadResult.Outcome.NEEDS_RESTART : ReloadResult.Outcome.INVALID, String.valueOf(file), hash, at,
          Duration.ofNanos(System.nanoTime() - start), List.of(),
          e.problems().stream().map(ConfigProblem::toString).toList());
      refused(result);
    } catch (RuntimeException e) {
      LOG.debug("reload failed", e);
      result = new ReloadResult(ReloadResult.Outcome.INVALID, String.valueOf(file), hash, at,
          Duration.ofNanos(System.nanoTime() - start), List.of(), List.of(file + ": " + e.getMessage()));
      refused(result);
    }
    seen = read;
    last = result;
    return result;
  }

  private void refused(ReloadResult result) {
    failed.inc();
    LOG.error("reload of {} refused ({}), the running configuration keeps serving:", result.file(),
        result.outcome().label());
    result.problems().forEach(p -> LOG.error("  {}", p));
  }

  @Override
  public String describe() {
    Loaded now = loaded;
    ReloadResult attempt = last;
    return "{\"file\":" + Json.string(String.valueOf(now.file()))
        + ",\"sha256\":" + Json.string(now.sha256())
        + ",\"loaded_at\":" + Json.string(now.at().toString())
        + ",\"last_reload\":" + (attempt == null ? "null" : attempt.toJson())
        + ",\"watch\":" + describeWatch() + "}";
  }

  private synchronized String describeWatch() {
    if (watcher == null) {
      return "{\"enabled\":false}";
    }
    return "{\"enabled\":true,\"debounce_ms\":" + watcher.debounce().toMillis()
        + ",\"files\":" + Json.strings(WatchedFiles.of(target.config()).stream().map(Path::toString).toList())
        + ",\"reloads_triggered\":" + watchTriggered.getCount() + "}";
  }

  @Override
  public Reply reloadReply() {
    ReloadResult result = reload();
    return new Reply(result.outcome().httpStatus(), result.toJson());
  }

  /** Stops watching and the reload thread. */
  public void close() {
    synchronized (this) {
      closed = true;
      if (watcher != null) {
        watcher.close();
        watcher = null;
      }
    }
    executor.shutdownNow();
  }
}
