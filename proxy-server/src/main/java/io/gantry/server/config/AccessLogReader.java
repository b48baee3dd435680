package io.gantry.server.config;

import io.gantry.server.accesslog.AccessLog;
import java.nio.file.Path;
import java.util.List;

/** Reads {@code gantry.access-log}. */
final class AccessLogReader {
  private static final List<String> KEYS = List.of("enabled", "format", "path");
  private static final List<String> FORMATS = List.of("combined", "json");

  private final ConfigValues values;

  AccessLogReader(ConfigValues values) {
    this.values = values;
  }

  AccessLogConfig read(Block root) {
    Block a = values.object(root, "access-log");
    values.checkKeys(a, KEYS);
    Boolean enabled = values.bool(a, "enabled", true);
    String format = values.choice(a, "format", FORMATS);
    String pathName = values.string(a, "path", false, "a file to append to, or null for standard output");
    Path path = pathName == null ? null : values.path(a, "path", pathName);
    if (enabled == null || format == null || (pathName != null && path == null)) {
      return null;
    }
    return new AccessLogConfig(enabled, AccessLog.Format.of(format), path);
  }
}
