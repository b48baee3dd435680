package io.gantry.server.admin;

/**
 * What the admin endpoint's {@code GET /config} and {@code POST /config/reload} answer; the
 * server's reloader implements it.
 */
public interface ConfigEndpoint {
  /** An answer: status and JSON body. */
  record Reply(int status, String json) {}

  /** {@code GET /config}: the file, its hash, when it was loaded, the last reload attempt. */
  String describe();

  /** {@code POST /config/reload}: reloads the file; 200 applied, 422 invalid, 409 needs a restart. */
  Reply reloadReply();
}
