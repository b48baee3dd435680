package io.gantry.server.cli;

import io.gantry.server.config.AdminConfig;
import io.gantry.server.config.ConfigLoader;
import io.gantry.server.config.GantryConfig;
import io.gantry.server.config.InvalidConfigException;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.apache.commons.cli.CommandLine;

/**
 * {@code gantry reload [CONF]}: makes the gantry running with CONF reload it. It finds the server
 * by the files {@code run} left ({@link RunFiles}: PID file, admin URL) or by the admin port of
 * CONF, and asks the admin endpoint ({@code POST /config/reload}), which answers with the result;
 * without an admin endpoint it sends SIGHUP (the result is then in the server's log only).
 *
 * <p>Exit codes: 0 reloaded (or signalled), 1 the new configuration was refused and the old one
 * keeps serving, 2 no running gantry found or not reachable.
 */
final class ReloadCommand implements Subcommand {
  private static final Usage USAGE = new Usage("reload", "[CONF]",
      "Reload the configuration of the running gantry (default config: conf/gantry.conf).", 0, 1);
  private static final Duration TIMEOUT = Duration.ofMinutes(2);

  @Override
  public Usage usage() {
    return USAGE;
  }

  @Override
  public int call(CommandLine line, List<String> parameters, PrintWriter out, PrintWriter err) throws Exception {
    Path file = ConfigFiles.orDefault(parameters.isEmpty() ? null : Path.of(parameters.get(0)));
    if (!ConfigFiles.readable(file)) {
      err.println("gantry reload: cannot read " + file);
      return 2;
    }
    Optional<RunFiles.Running> running = RunFiles.find(file);
    String admin = running.map(RunFiles.Running::adminUrl).orElse(null);
    if (admin == null) {
      GantryConfig config;
      try {
        config = ConfigLoader.defaults().load(file);
      } catch (InvalidConfigException e) {
        err.println("gantry reload: " + file + " is not valid; the running gantry keeps its configuration:");
        e.problems().forEach(p -> err.println("  " + p));
        return 1;
      }
      if (config.admin().enabled() && config.admin().port() > 0) {
        admin = "http://" + RunCommand.connectHost(config.admin().host()) + ":" + config.admin().port();
      }
    }
    if (admin != null) {
      try {
        return post(admin, file, null, out, err);
      } catch (Unauthorized e) {
        // admin.basic-auth: the credentials are in the configuration this command was given
        AdminConfig.BasicAuth auth = basicAuth(file);
        if (auth != null) {
          try {
            return post(admin, file, auth, out, err);
          } catch (IOException retried) {
            err.println("gantry reload: the admin endpoint " + admin + " refused the credentials of " + file
                + " (" + retried.getMessage() + "); sending SIGHUP instead");
          }
        } else {
          err.println("gantry reload: the admin endpoint " + admin + " " + e.getMessage() + "; sending SIGHUP instead");
        }
        if (running.isEmpty()) {
          return 2;
        }
      } catch (IOException e) {
        if (running.isEmpty()) {
          err.println("gantry reload: the admin endpoint " + admin + " is not reachable (" + e.getMessage()
              + ") and no PID file names a running gantry for " + file);
          return 2;
        }
        err.println("gantry reload: the admin endpoint " + admin + " is not reachable (" + e.getMessage()
            + "); sending SIGHUP instead");
      }
    }
    if (running.isEmpty()) {
      err.println("gantry reload: no running gantry found for " + file + " (no PID file in "
          + RunFiles.directories(file) + ", no admin port in the configuration)");
      return 2;
    }
    long pid = running.get().pid();
    Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(pid)).inheritIO().start();
    if (kill.waitFor() != 0) {
      err.println("gantry reload: could not signal PID " + pid);
      return 2;
    }
    out.println("sent SIGHUP to gantry (PID " + pid + "); the result is in its log");
    return 0;
  }

  /** The admin endpoint answered 401 or 403. */
  private static final class Unauthorized extends IOException {
    private static final long serialVersionUID = 1L;

    Unauthorized(String message) {
      super(message);
    }
  }

  /** The admin credentials {@code file} configures, or null (also when it is not valid). */
  private static AdminConfig.BasicAuth basicAuth(Path file) {
    try {
      return ConfigLoader.defaults().load(file).admin().basicAuth();
    } catch (InvalidConfigException e) {
      return null;
    }
  }

  private static int post(String admin, Path file, AdminConfig.BasicAuth auth, PrintWriter out, PrintWriter err)
      throws IOException, InterruptedException {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(admin + "/config/reload"))
        .timeout(TIMEOUT)
        .POST(HttpRequest.BodyPublishers.noBody());
    if (auth != null) {
      builder.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
          (auth.user() + ":" + auth.password()).getBytes(StandardCharsets.UTF_8)));
    }
    HttpRequest request = builder.build();
    HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
    String body = response.body().strip();
    switch (response.statusCode()) {
      case 200 -> {
        out.println(body);
        return 0;
      }
      case 401, 403 -> // admin.basic-auth or admin.allow-from: the caller retries with credentials or signals
          throw new Unauthorized("answered " + response.statusCode() + " (admin.basic-auth or admin.allow-from)");
      case 409, 422 -> {
        out.println(body);
        err.println("gantry reload: " + file + " was refused (" + (response.statusCode() == 409
            ? "a change needs a restart" : "invalid") + "); the running configuration keeps serving");
        return 1;
      }
      default -> {
        err.println("gantry reload: " + admin + "/config/reload answered " + response.statusCode() + ": " + body);
        return 2;
      }
    }
  }
}
