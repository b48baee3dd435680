package io.gantry.server.reload;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
import io.gantry.server.admin.ConfigEndpoint;
import io.gantry.server.config.ConfigLoader;
import io.gantry.server.config.ConfigProblem;
import io.gantry.server.config.GantryConfig;
import io.gantry.server.config.InvalidConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
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
 * the answer), {@link #reloadAsync()}, and SIGHUP once {@link #handleSignals()} was called.
 * Metrics: {@code gantry.config.reloads.succeeded} and {@code .failed} (counters), {@code
 * gantry.config.reloads.last-success} (gauge: epoch seconds of the last applied reload, 0 before).
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

  private final ReloadTarget target;
  private final ConfigLoader loader;
  private final ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "gantry-reload");
    t.setDaemon(true);
    return t;
  });
  private final Counter succeeded;
  private final Counter failed;
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
    this.loaded = new Loaded(file, file == null ? "" : sha256(file), Instant.now());
    this.succeeded = metrics.counter(SUCCEEDED);
    this.failed = metrics.counter(FAILED);
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
    try {
      hash = sha256(file);
      GantryConfig next;
      try {
        next = loader.load(file);
      } catch (InvalidConfigException e) {
        throw new ReloadRefusedException(ReloadRefusedException.Reason.INVALID, e.errors());
      }
      next.warnings().forEach(w -> LOG.warn("{}", w));
      List<String> changes = target.apply(next);
      result = new ReloadResult(ReloadResult.Outcome.APPLIED, file.toString(), hash, at,
          Duration.ofNanos(System.nanoTime() - start), changes, List.of());
      loaded = new Loaded(file, hash, Instant.now());
      lastSuccess = loaded.at();
      succeeded.inc();
      LOG.info("reloaded {} in {} ms{}", file, result.took().toMillis(), changes.isEmpty() ? " (no changes but certificates)" : ":");
      changes.forEach(c -> LOG.info("  {}", c));
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
        + ",\"last_reload\":" + (attempt == null ? "null" : attempt.toJson()) + "}";
  }

  @Override
  public Reply reloadReply() {
    ReloadResult result = reload();
    return new Reply(result.outcome().httpStatus(), result.toJson());
  }

  /** Stops the reload thread. */
  public void close() {
    executor.shutdownNow();
  }

  private static String sha256(Path file) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    } catch (IOException e) {
      return "";
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
