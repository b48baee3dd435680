package io.gantry.server.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.inject.Guice;
import io.gantry.server.GantryModule;
import io.gantry.server.GantryServer;
import io.gantry.server.config.ConfigLoader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code gantry reload CONF} against a running gantry whose admin port asks for basic auth: the
 * command takes the credentials from CONF, reports what was applied, and exits 1 for a refused file.
 */
class ReloadCommandTest {
  @TempDir
  Path dir;
  private GantryServer gantry;

  @AfterEach
  void stop() throws Exception {
    if (gantry != null) {
      gantry.stop();
    }
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private String config(int admin, String routes) {
    return """
        gantry {
          listeners = [ { name = plain, port = 0, host = 127.0.0.1, tls = false } ]
          upstreams { nexus = "http://127.0.0.1:8081/" }
          routes = [ { name = base, path = /base/, to = nexus } %s ]
          admin { host = 127.0.0.1, port = %d, basic-auth { user = ops, password = "s3cret:with colon" } }
          reload.watch = false
          shutdown-grace = 1s
        }
        """.formatted(routes, admin);
  }

  @Test
  void reloadsThroughAnAdminPortWithBasicAuth() throws Exception {
    int admin = freePort();
    Path conf = dir.resolve("gantry.conf");
    Files.writeString(conf, config(admin, ""));
    gantry = Guice.createInjector(new GantryModule(ConfigLoader.defaults().load(conf))).getInstance(GantryServer.class);
    gantry.start();

    Files.writeString(conf, config(admin, ", { name = added, path = /added/, to = nexus }"));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = new GantryCli(new PrintWriter(out), new PrintWriter(err)).execute("reload", conf.toString());
    assertEquals(0, code, out + "\n" + err);
    assertTrue(out.toString().contains("\"result\":\"applied\"") && out.toString().contains("route added: added"), out.toString());

    Files.writeString(conf, config(admin, ", { name = broken, path = /b/, to = nowhere }"));
    out = new StringWriter();
    err = new StringWriter();
    code = new GantryCli(new PrintWriter(out), new PrintWriter(err)).execute("reload", conf.toString());
    assertEquals(1, code, out + "\n" + err);
    assertTrue(err.toString().contains("the running gantry keeps its configuration")
        && err.toString().contains("upstream 'nowhere' is not defined"), err.toString());
  }
}
