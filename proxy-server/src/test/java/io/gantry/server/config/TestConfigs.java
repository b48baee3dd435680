package io.gantry.server.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Helpers for config tests: write a file, load it, find a problem and its line. */
final class TestConfigs {
  private TestConfigs() {}

  static Path write(Path dir, String name, String text) {
    try {
      Path file = dir.resolve(name);
      Files.createDirectories(file.getParent());
      Files.writeString(file, text);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes the test CA certificate (PEM) to {@code dir/name}. */
  static Path writeCa(Path dir, String name) {
    try (InputStream in = TestConfigs.class.getResourceAsStream("test-ca.pem")) {
      return write(dir, name, new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static GantryConfig load(Path file) {
    return ConfigLoader.defaults().load(file);
  }

  static List<ConfigProblem> errors(Path file) {
    InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> load(file));
    return e.errors();
  }

  /** The one error of {@code file}. */
  static ConfigProblem error(Path file) {
    List<ConfigProblem> errors = errors(file);
    assertEquals(1, errors.size(), () -> "expected one error, got:\n" + errors);
    return errors.get(0);
  }

  /** The 1-based line of the first line of {@code text} containing {@code snippet}. */
  static int line(String text, String snippet) {
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      if (lines[i].contains(snippet)) {
        return i + 1;
      }
    }
    throw new AssertionError("no line contains " + snippet);
  }

  /** Asserts a problem's file name, line, key path and that its message contains every text. */
  static void assertProblem(ConfigProblem p, Path file, int line, String path, String... texts) {
    assertEquals(file.toString(), p.file(), () -> "file of " + p);
    assertEquals(line, p.line(), () -> "line of " + p);
    assertEquals(path, p.path(), () -> "path of " + p);
    for (String t : texts) {
      assertTrue(p.message().contains(t), () -> "'" + t + "' not in: " + p);
    }
    assertTrue(p.toString().startsWith(file + ":" + line + ": "), () -> "printed as " + p);
  }

  static ConfigProblem find(List<ConfigProblem> problems, String path) {
    return problems.stream().filter(p -> p.path().equals(path)).findFirst()
        .orElseGet(() -> fail("no problem at " + path + " in:\n" + problems));
  }

  /** A minimal valid gantry block around {@code extra} (extra goes inside gantry { }). */
  static String minimal(String extra) {
    return """
        gantry {
          upstreams { nexus = "http://127.0.0.1:8081/" }
          routes = [ { to = nexus } ]
        %s
        }
        """.formatted(extra);
  }
}
