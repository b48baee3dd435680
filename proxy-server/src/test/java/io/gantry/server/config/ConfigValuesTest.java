package io.gantry.server.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOriginFactory;
import io.gantry.proxy.validation.InvalidSettingException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The typed reads the block readers share: values, and problems with their line and key. */
class ConfigValuesTest {
  @TempDir Path dir;

  private Path file;
  private Problems problems;
  private ConfigValues values;

  private Block block(String hocon, String defaults) {
    file = TestConfigs.write(dir, "t.conf", hocon);
    problems = new Problems(file.toString());
    values = new ConfigValues(problems, dir, true);
    ConfigObject own = ConfigFactory.parseFile(file.toFile()).root();
    return new Block("t", own, defaults == null ? null : ConfigFactory.parseString(defaults).root(), own.origin());
  }

  @Test
  void valuesAreReadAndNormalised() {
    Block b = block("""
        on = yes
        port = "0"
        grace = 30s
        hosts = a.example.com
        format = JSON
        log = logs/access.log
        """, null);
    assertEquals(true, values.bool(b, "on", true));
    assertEquals(0, values.port(b, "port", true));
    assertEquals(Duration.ofSeconds(30), values.duration(b, "grace", true));
    assertEquals(List.of("a.example.com"), ConfigValues.listOf(values.strings(b, "hosts", true)));
    assertEquals("json", values.choice(b, "format", List.of("combined", "json")));
    assertEquals(dir.resolve("logs/access.log"), values.path(b, "log", "logs/access.log"));
    assertNull(values.string(b, "absent", false, "anything"));
    assertEquals(List.of(), problems.sorted());
  }

  @Test
  void everyProblemHasItsLineAndKeyAndTheValueReadsAsNull() {
    Block b = block("""
        port = 70000
        on = maybe
        grace = -1s
        names = [a, { b = 1 }]
        format = jsn
        colour = red
        ca = missing.pem
        """, null);
    assertNull(values.port(b, "port", true));
    assertNull(values.bool(b, "on", true));
    assertNull(values.duration(b, "grace", false));
    assertNull(values.strings(b, "names", true));
    assertNull(values.choice(b, "format", List.of("combined", "json")));
    assertNull(values.file(b, "ca", "missing.pem", "a PEM file"));
    assertNull(values.string(b, "required", true, "some text"));
    values.checkKeys(b, List.of("port", "on", "grace", "names", "format", "ca", "color"));
    assertEquals(List.of(
        file + ":1: t.port: 70000 (expected: a port number 1-65535, or 0 for any free port)",
        file + ":1: t.required: missing (expected: some text)",
        file + ":2: t.on: 'maybe' (expected: true or false)",
        file + ":3: t.grace: '-1s' (expected: a duration such as 30s, 5m or 1h)",
        file + ":4: t.names[1]: object {\"b\":1} (expected: a string)",
        file + ":5: t.format: 'jsn' (expected one of: combined, json; did you mean 'json'?)",
        file + ":6: t.colour: unknown key (expected one of: port, on, grace, names, format, ca, color;"
            + " did you mean 'color'?)",
        file + ":7: t.ca: file " + dir.resolve("missing.pem") + " does not exist (expected: a PEM file)"),
        problems.sorted().stream().map(ConfigProblem::toString).toList());
  }

  @Test
  void defaultsFillInButAreNotTheUsersKeys() {
    Block b = block("port = 8080", "host = \"0.0.0.0\", legacy = 1");
    assertEquals("0.0.0.0", values.string(b, "host", true, "an address"));
    values.checkKeys(b, List.of("port", "host"));
    assertEquals(List.of(), problems.sorted());
  }

  @Test
  void aLibraryRefusalIsReportedWithoutItsSettingName() {
    block("x = 1", null);
    problems.rejected(ConfigOriginFactory.newFile(file.toString()).withLineNumber(3), "t.path",
        new InvalidSettingException("path", "'v2' (expected: starts with '/')"));
    problems.rejected(ConfigOriginFactory.newFile(file.toString()).withLineNumber(4), "t.proxy",
        new IllegalArgumentException("trusted proxy: 'x' (expected: an IP address)"));
    List<String> printed = problems.sorted().stream().map(ConfigProblem::toString).toList();
    assertEquals(List.of(file + ":3: t.path: 'v2' (expected: starts with '/')",
        file + ":4: t.proxy: trusted proxy: 'x' (expected: an IP address)"), printed);
    assertTrue(problems.hasErrors());
  }
}
