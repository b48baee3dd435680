package io.gantry.server.config;

import java.util.List;

/**
 * The {@code gantry.admin} block: metrics, health checks and the route listing, served over plain
 * HTTP on its own port.
 *
 * @param enabled whether the admin listener starts
 * @param host its bind address (loopback by default)
 * @param port 1-65535, or 0 for any free port
 * @param allowFrom addresses or CIDRs that may use it (403 otherwise); empty: every address
 * @param basicAuth the user and password every request must carry (401 otherwise), or {@code null}
 */
public record AdminConfig(boolean enabled, String host, int port, List<String> allowFrom, BasicAuth basicAuth) {

  public AdminConfig {
    allowFrom = List.copyOf(allowFrom);
  }

  /** No allow-list, no authentication. */
  public AdminConfig(boolean enabled, String host, int port) {
    this(enabled, host, port, List.of(), null);
  }

  /** A basic auth user and password; {@link #toString()} never shows the password. */
  public record BasicAuth(String user, String password) {
    @Override
    public String toString() {
      return "BasicAuth[user=" + user + ", password=***]";
    }
  }
}
