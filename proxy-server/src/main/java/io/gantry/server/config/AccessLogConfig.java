package io.gantry.server.config;

import io.gantry.server.accesslog.AccessLog;
import java.nio.file.Path;

/**
 * The {@code gantry.access-log} block.
 *
 * @param enabled whether requests are logged
 * @param format the line format
 * @param path the absolute file to append to, or {@code null} for standard output
 */
public record AccessLogConfig(boolean enabled, AccessLog.Format format, Path path) {}
