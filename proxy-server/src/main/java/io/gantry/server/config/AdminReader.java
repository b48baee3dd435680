package io.gantry.server.config;

import java.util.List;

/** Reads {@code gantry.admin}, whose port must be its own. */
final class AdminReader {
  private static final List<String> KEYS = List.of("enabled", "host", "port");

  private final ConfigValues values;
  private final Problems problems;

  AdminReader(ConfigValues values) {
    this.values = values;
    this.problems = values.problems();
  }

  AdminConfig read(Block root, List<ListenerConfig> listeners) {
    Block a = values.object(root, "admin");
    values.checkKeys(a, KEYS);
    Boolean enabled = values.bool(a, "enabled", true);
    String host = values.string(a, "host", true, "a bind address such as 127.0.0.1");
    Integer port = values.port(a, "port", true);
    if (enabled == null || host == null || port == null) {
      return null;
    }
    if (enabled) {
      List<Binding> bound = listeners.stream()
          .map(l -> new Binding(l.host(), l.port(), "listener '" + l.name() + "'", l.line()))
          .toList();
      Binding clash = Binding.clash(bound, host, port);
      if (clash != null) {
        problems.error(a.get("port").origin(), a.at("port"), port + " is already used by " + clash.owner() + " (line "
            + clash.line() + ") (expected: a port of its own for the admin listener)");
      }
    }
    return new AdminConfig(enabled, host, port);
  }
}
