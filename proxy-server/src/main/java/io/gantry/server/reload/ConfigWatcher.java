package io.gantry.server.reload;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the directories of a set of files and runs a check once events have stopped for the
 * debounce time. Directories, not files: files are replaced (written elsewhere and renamed over,
 * or a Kubernetes {@code ..data} symlink swapped), so the events that matter are the directory's.
 * For each file both the directory it is named in and the directory it really is in (through its
 * links) are watched; after each check the set is worked out again (links point elsewhere now, a
 * reload names other files). The check itself decides whether anything changed (content hashes).
 *
 * <p>Only events about a watched file's name, the first step of a relative link it is (a
 * Kubernetes {@code ..data}), or a name starting with {@code ..} (the kubelet's {@code
 * ..data_tmp} and dated directories) start the quiet period, so a busy neighbour (an access log
 * in the same directory, {@code gantry.pid}) neither reloads nor postpones a reload forever.
 */
final class ConfigWatcher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ConfigWatcher.class);

  private final Supplier<List<Path>> files;
  private final Runnable check;
  private final WatchService service;
  private final Map<Path, WatchKey> watched = new HashMap<>();
  /** Per watched directory, the entry names whose events count. */
  private final Map<Path, Set<Path>> names = new HashMap<>();
  private final ScheduledExecutorService debouncer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "gantry-reload-watch-debounce");
    t.setDaemon(true);
    return t;
  });
  private final Thread thread;
  private volatile Duration debounce;
  private volatile boolean closed;
  private ScheduledFuture<?> pending;

  /**
   * @param files the files to watch now (asked again after each check)
   * @param debounce quiet time after the last event before {@code check} runs
   * @param check runs on the watcher's debounce thread, never twice at once
   */
  ConfigWatcher(Supplier<List<Path>> files, Duration debounce, Runnable check) throws IOException {
    this.files = files;
    this.debounce = debounce;
    this.check = check;
    this.service = FileSystems.getDefault().newWatchService();
    this.thread = new Thread(this::run, "gantry-reload-watch");
    this.thread.setDaemon(true);
  }

  /** Registers the directories and starts watching. */
  ConfigWatcher start() {
    register();
    thread.start();
    return this;
  }

  void debounce(Duration debounce) {
    this.debounce = debounce;
  }

  Duration debounce() {
    return debounce;
  }

  /** The directories watched now. */
  synchronized Set<Path> directories() {
    return Set.copyOf(watched.keySet());
  }

  private void run() {
    while (!closed) {
      WatchKey key;
      try {
        key = service.take();
      } catch (InterruptedException | ClosedWatchServiceException e) {
        return;
      }
      boolean relevant = false;
      for (WatchEvent<?> event : key.pollEvents()) {
        relevant |= relevant(key, event);
      }
      if (!key.reset()) {
        synchronized (this) {
          watched.values().remove(key);
        }
      }
      if (relevant) {
        schedule();
      }
    }
  }

  private synchronized boolean relevant(WatchKey key, WatchEvent<?> event) {
    if (event.kind() == StandardWatchEventKinds.OVERFLOW || !(event.context() instanceof Path name)) {
      return true;
    }
    if (name.toString().startsWith("..")) {
      return true;
    }
    Path dir = key.watchable() instanceof Path p ? p : null;
    Set<Path> wanted = dir == null ? null : names.get(dir);
    return wanted == null || wanted.contains(name);
  }

  /** (Re)starts the quiet period; the check runs once no event came for the debounce time. */
  synchronized void schedule() {
    if (closed) {
      return;
    }
    if (pending != null) {
      pending.cancel(false);
    }
    pending = debouncer.schedule(this::fire, debounce.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void fire() {
    try {
      check.run();
    } catch (RuntimeException e) {
      LOG.error("config watch: the check failed: {}", e.toString(), e);
    } finally {
      register();
    }
  }

  /** Watches the directories of the current files, and no others. */
  synchronized void register() {
    if (closed) {
      return;
    }
    Set<Path> wanted = new LinkedHashSet<>();
    names.clear();
    for (Path file : files.get()) {
      Path named = file.toAbsolutePath().normalize();
      add(wanted, named);
      if (Files.isSymbolicLink(named)) {
        try {
          Path target = Files.readSymbolicLink(named);
          if (!target.isAbsolute() && target.getNameCount() > 1) {
            names.computeIfAbsent(named.getParent(), d -> new HashSet<>()).add(target.getName(0));
          }
        } catch (IOException e) {
          // the link is being replaced: its name is watched anyway
        }
      }
      try {
        add(wanted, file.toRealPath());
      } catch (IOException e) {
        // gone or a dangling link: its named directory is watched, which sees it come back
      }
    }
    watched.entrySet().removeIf(e -> {
      if (!wanted.contains(e.getKey()) || !e.getValue().isValid()) {
        e.getValue().cancel();
        return true;
      }
      return false;
    });
    for (Path dir : wanted) {
      if (watched.containsKey(dir) || !Files.isDirectory(dir)) {
        continue;
      }
      try {
        watched.put(dir, dir.register(service, StandardWatchEventKinds.ENTRY_CREATE,
            StandardWatchEventKinds.ENTRY_MODIFY, StandardWatchEventKinds.ENTRY_DELETE));
      } catch (IOException | ClosedWatchServiceException e) {
        LOG.warn("config watch: cannot watch {}: {}", dir, e.toString());
      }
    }
  }

  private void add(Set<Path> dirs, Path file) {
    Path parent = file.getParent();
    if (parent != null && file.getFileName() != null) {
      dirs.add(parent);
      names.computeIfAbsent(parent, d -> new HashSet<>()).add(file.getFileName());
    }
  }

  @Override
  public void close() {
    synchronized (this) {
      closed = true;
      if (pending != null) {
        pending.cancel(false);
      }
    }
    debouncer.shutdownNow();
    try {
      service.close();
    } catch (IOException e) {
      LOG.debug("closing the watch service", e);
    }
    thread.interrupt();
  }
}
