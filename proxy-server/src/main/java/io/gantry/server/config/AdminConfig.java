package io.gantry.server.config;

/**
 * The {@code gantry.admin} block: metrics, health checks and the route listing, served over plain
 * HTTP on its own port.
 *
 * @param enabled whether the admin listener starts
 * @param host its bind address (loopback by default: it has no authentication)
 * @param port 1-65535, or 0 for any free port
 */
public record AdminConfig(boolean enabled, String host, int port) {}
