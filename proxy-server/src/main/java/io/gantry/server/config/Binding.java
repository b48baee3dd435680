package io.gantry.server.config;

import java.util.List;
import java.util.Set;

/**
 * An address and port a listener binds, to find two that cannot both bind.
 *
 * @param host the bind address
 * @param port the port; 0 (any free port) never clashes
 * @param owner what binds it, as problems name it: {@code gantry.listeners[0]}, {@code listener 'https'}
 * @param line the line it is declared on
 */
record Binding(String host, int port, String owner, int line) {
  private static final Set<String> WILDCARD_ADDRESSES = Set.of("", "0.0.0.0", "::", "[::]", "*");

  /**
   * The first of {@code bound} that {@code host:port} clashes with: the same port on the same
   * address, or on any address when either is a wildcard; {@code null} when none does.
   */
  static Binding clash(List<Binding> bound, String host, int port) {
    if (port == 0) {
      return null;
    }
    for (Binding b : bound) {
      if (b.port == port && (b.host.equals(host) || WILDCARD_ADDRESSES.contains(b.host)
          || WILDCARD_ADDRESSES.contains(host))) {
        return b;
      }
    }
    return null;
  }
}
