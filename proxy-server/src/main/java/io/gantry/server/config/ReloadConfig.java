package io.gantry.server.config;

import java.time.Duration;

/**
 * The {@code gantry.reload} block: whether the running server reloads by itself when its
 * configuration file or a file the configuration names (certificates, keys, keystores, upstream
 * CAs) changes. Both settings apply live on a reload.
 *
 * @param watch watch the files and reload when their content changes
 * @param debounce how long after the last change event the files are compared and the reload starts
 */
public record ReloadConfig(boolean watch, Duration debounce) {
  /** The defaults of reference.conf. */
  public static final ReloadConfig DEFAULT = new ReloadConfig(true, Duration.ofSeconds(1));
}
