package io.gantry.server.config;

import java.nio.file.Path;

/**
 * The {@code gantry.access-log} block.
 *
 * @param enabled whether requests are logged
 * @param format the line format
 * @param path the absolute file to append to, or {@code null} for standard output
 */
public record AccessLogConfig(boolean enabled, Format format, Path path) {

  /** Access log line formats. */
  public enum Format {
    /** NCSA combined log format, as Apache and nginx write it. */
    COMBINED,
    /** One JSON object per line. */
    JSON
  }
}
