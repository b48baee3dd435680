package io.gantry.server.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Every file the distribution ships under conf/ loads without errors or warnings. */
class ConfigExamplesTest {
  private static final Path CONF = Path.of("..", "conf");

  @Test
  void everyShippedConfigLoads() throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.walk(CONF)) {
      files = s.filter(p -> p.toString().endsWith(".conf")).sorted().toList();
    }
    assertTrue(files.size() >= 5, () -> "conf files: " + files);
    // The examples name certificate files of another machine: lint them without file checks.
    ConfigLoader loader = ConfigLoader.defaults().withFileChecks(false);
    for (Path f : files) {
      assertEquals(List.of(), loader.check(f), () -> "problems in " + f);
    }
  }

  @Test
  void defaultConfigWorksOutOfTheBox() {
    GantryConfig c = ConfigLoader.defaults().load(CONF.resolve("gantry.conf"));
    assertEquals(List.of(), c.warnings());
    assertFalse(c.listener("plain").tls());
    assertEquals(8443, c.listener("https").port());
    assertEquals(List.of("localhost"), c.tls().selfSigned().hosts());
    assertEquals(CONF.resolve("tls").toAbsolutePath().normalize(), c.tls().selfSigned().dir());
    assertEquals("docker-pull", c.routeTable().match(io.gantry.proxy.route.RequestView.builder()
        .host("localhost:8080").method("GET").path("/v2/").build()).name());
    assertEquals("nexus", c.routeTable().match(io.gantry.proxy.route.RequestView.builder()
        .host("127.0.0.1").path("/").build()).name());
  }
}
