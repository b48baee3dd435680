package io.gantry.server.reload;

import io.gantry.server.config.GantryConfig;
import java.util.List;

/** What a {@link Reloader} reloads: the running server. */
public interface ReloadTarget {
  /** The configuration serving now. */
  GantryConfig config();

  /**
   * Switches to {@code next}, all of it or nothing: routes, certificates, listeners.
   *
   * @return what changed, one line each, for logs and the reload's answer
   * @throws ReloadRefusedException when {@code next} cannot be applied; nothing was switched
   */
  List<String> apply(GantryConfig next) throws ReloadRefusedException;
}
