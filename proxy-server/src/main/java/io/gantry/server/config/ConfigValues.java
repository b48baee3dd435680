package io.gantry.server.config;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Typed reads of a {@link Block}'s keys for the block readers. A value that is missing, of the
 * wrong type or out of range is reported to {@link #problems()} with its origin and key path, and
 * read as {@code null}, so one reading finds every problem of a file.
 */
final class ConfigValues {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]*");
  private static final String PORT = "a port number 1-65535, or 0 for any free port";

  private final Problems problems;
  private final Path dir;
  private final boolean checkFiles;

  /**
   * @param dir the configuration file's directory, against which relative paths are resolved
   * @param checkFiles whether files named in the configuration must exist and be readable
   */
  ConfigValues(Problems problems, Path dir, boolean checkFiles) {
    this.problems = problems;
    this.dir = dir;
    this.checkFiles = checkFiles;
  }

  Problems problems() {
    return problems;
  }

  boolean checkFiles() {
    return checkFiles;
  }

  /** One string of a string-or-list value, with where it came from. */
  record Item(String value, ConfigOrigin origin, String path) {}

  static String[] values(List<Item> items) {
    return items == null ? null : items.stream().map(Item::value).toArray(String[]::new);
  }

  static List<String> listOf(List<Item> items) {
    return items == null ? List.of() : items.stream().map(Item::value).toList();
  }

  /** Whether {@code s} is a name routes can refer to: letters, digits, '-', '_' and '.'. */
  static boolean isName(String s) {
    return NAME.matcher(s).matches();
  }

  /** Reports every key the user set that is not one of {@code known}, with the likeliest one meant. */
  void checkKeys(Block o, List<String> known) {
    for (Map.Entry<String, ConfigValue> e : o.own().entrySet()) {
      if (!known.contains(e.getKey())) {
        problems.error(e.getValue().origin(), o.at(e.getKey()), "unknown key" + Suggestions.expectedOneOf(e.getKey(), known));
      }
    }
  }

  /** A sub-object; an absent, null or mistyped one reads as empty (mistyped is reported). */
  Block object(Block parent, String key) {
    ConfigValue v = parent.get(key);
    if (v != null && v.valueType() == ConfigValueType.OBJECT) {
      return new Block(parent.at(key), (ConfigObject) v, null, v.origin());
    }
    if (v != null && v.valueType() != ConfigValueType.NULL) {
      problems.error(v.origin(), parent.at(key), describe(v) + " (expected: an object { ... })");
    }
    return new Block(parent.at(key), null, null, v != null ? v.origin() : parent.origin());
  }

  /** The objects of a list, or {@code null} when the key is absent or not a list (reported). */
  List<Block> objects(Block parent, String key, String expected) {
    ConfigValue v = parent.get(key);
    if (v == null || v.valueType() == ConfigValueType.NULL) {
      return null;
    }
    if (v.valueType() != ConfigValueType.LIST) {
      problems.error(v.origin(), parent.at(key), describe(v) + " (expected: a list [ ... ] of " + expected + ")");
      return null;
    }
    List<Block> out = new ArrayList<>();
    ConfigList list = (ConfigList) v;
    for (int i = 0; i < list.size(); i++) {
      ConfigValue e = list.get(i);
      String path = parent.at(key) + "[" + i + "]";
      if (e.valueType() == ConfigValueType.OBJECT) {
        out.add(new Block(path, (ConfigObject) e, null, e.origin()));
      } else {
        problems.error(e.origin(), path, describe(e) + " (expected: " + expected + ")");
      }
    }
    return out;
  }

  /** The value, or {@code null} when absent or null (reported when {@code required}). */
  ConfigValue value(Block o, String key, boolean required, String expected) {
    ConfigValue v = o.get(key);
    if (v == null || v.valueType() == ConfigValueType.NULL) {
      if (required) {
        problems.error(v != null ? v.origin() : o.origin(), o.at(key), (v == null ? "missing" : "null") + " (expected: " + expected + ")");
      }
      return null;
    }
    return v;
  }

  /** A non-blank string; numbers and booleans read as their text. */
  String string(Block o, String key, boolean required, String expected) {
    ConfigValue v = value(o, key, required, expected);
    if (v == null) {
      return null;
    }
    switch (v.valueType()) {
      case STRING, NUMBER, BOOLEAN -> {
        String s = String.valueOf(v.unwrapped());
        if (s.isBlank()) {
          problems.error(v.origin(), o.at(key), "'' (expected: " + expected + ")");
          return null;
        }
        return s;
      }
      default -> {
        problems.error(v.origin(), o.at(key), describe(v) + " (expected: " + expected + ")");
        return null;
      }
    }
  }

  /** A required name that others refer to (see {@link #isName}). */
  String name(Block o, String key, String expected) {
    String s = string(o, key, true, expected);
    if (s != null && !isName(s)) {
      problems.error(o.get(key).origin(), o.at(key), "'" + s + "' (expected: " + expected + ", of letters, digits, '-', '_' and '.')");
      return null;
    }
    return s;
  }

  /** One of {@code known}, case-insensitive; returned in lower case. */
  String choice(Block o, String key, List<String> known) {
    String s = string(o, key, true, String.join(" or ", known));
    if (s == null) {
      return null;
    }
    String lower = s.trim().toLowerCase(Locale.ROOT);
    if (!known.contains(lower)) {
      problems.error(o.get(key).origin(), o.at(key), "'" + s + "'" + Suggestions.expectedOneOf(lower, known));
      return null;
    }
    return lower;
  }

  Integer integer(Block o, String key, boolean required, String expected) {
    ConfigValue v = value(o, key, required, expected);
    if (v == null) {
      return null;
    }
    Object u = v.unwrapped();
    if (u instanceof Integer i) {
      return i;
    }
    if (u instanceof String s) {
      try {
        return Integer.parseInt(s.trim());
      } catch (NumberFormatException e) {
        // reported below
      }
    }
    problems.error(v.origin(), o.at(key), describe(v) + " (expected: " + expected + ")");
    return null;
  }

  /** 1-65535, or 0 for any free port. */
  Integer port(Block o, String key, boolean required) {
    Integer port = integer(o, key, required, PORT);
    if (port != null && (port < 0 || port > 65535)) {
      problems.error(o.get(key).origin(), o.at(key), port + " (expected: " + PORT + ")");
      return null;
    }
    return port;
  }

  /** A boolean; the strings yes/no and on/off too, as HOCON allows. */
  Boolean bool(Block o, String key, boolean required) {
    ConfigValue v = value(o, key, required, "true or false");
    if (v == null) {
      return null;
    }
    Object u = v.unwrapped();
    if (u instanceof Boolean b) {
      return b;
    }
    if (u instanceof String s) {
      switch (s.trim().toLowerCase(Locale.ROOT)) {
        case "true", "yes", "on" -> {
          return true;
        }
        case "false", "no", "off" -> {
          return false;
        }
        default -> { }
      }
    }
    problems.error(v.origin(), o.at(key), describe(v) + " (expected: true or false)");
    return null;
  }

  /** A required duration such as {@code 30s}; zero allowed only when {@code positive} is false. */
  Duration duration(Block o, String key, boolean positive) {
    String expected = "a duration such as 30s, 5m or 1h" + (positive ? ", more than 0" : "");
    ConfigValue v = value(o, key, true, expected);
    if (v == null) {
      return null;
    }
    Duration d;
    try {
      d = ConfigFactory.empty().withValue("v", v).getDuration("v");
    } catch (ConfigException e) {
      d = null;
    }
    if (d == null || d.isNegative() || (positive && d.isZero())) {
      problems.error(v.origin(), o.at(key), describe(v) + " (expected: " + expected + ")");
      return null;
    }
    return d;
  }

  /** A required size in bytes such as {@code 32KiB} or {@code 65536}, between {@code min} and {@code max}. */
  Integer bytes(Block o, String key, int min, int max) {
    String expected = "a size such as 32KiB or 65536, " + min + " to " + max + " bytes";
    ConfigValue v = value(o, key, true, expected);
    if (v == null) {
      return null;
    }
    Long n;
    try {
      n = ConfigFactory.empty().withValue("v", v).getBytes("v");
    } catch (ConfigException e) {
      n = null;
    }
    if (n == null || n < min || n > max) {
      problems.error(v.origin(), o.at(key), describe(v) + " (expected: " + expected + ")");
      return null;
    }
    return n.intValue();
  }

  /** A required integer between {@code min} and {@code max}. */
  Integer integer(Block o, String key, int min, int max) {
    String expected = "an integer from " + min + " to " + max;
    Integer n = integer(o, key, true, expected);
    if (n != null && (n < min || n > max)) {
      problems.error(o.get(key).origin(), o.at(key), n + " (expected: " + expected + ")");
      return null;
    }
    return n;
  }

  /** A string or a list of strings; {@code null} when absent or mistyped (reported). */
  List<Item> strings(Block o, String key, boolean required) {
    String expected = "a string or a list of strings";
    ConfigValue v = value(o, key, required, expected);
    if (v == null) {
      return null;
    }
    String path = o.at(key);
    if (v.valueType() == ConfigValueType.STRING || v.valueType() == ConfigValueType.NUMBER) {
      return List.of(new Item(String.valueOf(v.unwrapped()), v.origin(), path));
    }
    if (v.valueType() != ConfigValueType.LIST) {
      problems.error(v.origin(), path, describe(v) + " (expected: " + expected + ")");
      return null;
    }
    List<Item> out = new ArrayList<>();
    ConfigList list = (ConfigList) v;
    boolean ok = true;
    for (int i = 0; i < list.size(); i++) {
      ConfigValue e = list.get(i);
      if (e.valueType() == ConfigValueType.STRING || e.valueType() == ConfigValueType.NUMBER) {
        out.add(new Item(String.valueOf(e.unwrapped()), e.origin(), path + "[" + i + "]"));
      } else {
        problems.error(e.origin(), path + "[" + i + "]", describe(e) + " (expected: a string)");
        ok = false;
      }
    }
    return ok ? out : null;
  }

  /** {@code name} (the value of {@code key}) relative to the configuration file's directory, made absolute. */
  Path path(Block o, String key, String name) {
    try {
      return dir.resolve(name.trim()).normalize();
    } catch (InvalidPathException e) {
      problems.error(o.get(key).origin(), o.at(key), "'" + name + "' (expected: a file path: " + e.getReason() + ")");
      return null;
    }
  }

  /** Like {@link #path}, and the file must be readable unless file checks are off. */
  Path file(Block o, String key, String name, String expected) {
    Path p = path(o, key, name);
    if (p == null || !checkFiles) {
      return p;
    }
    String problem = !Files.exists(p) ? "does not exist"
        : !Files.isRegularFile(p) ? "is not a file"
        : !Files.isReadable(p) ? "is not readable" : null;
    if (problem != null) {
      problems.error(o.get(key).origin(), o.at(key), "file " + p + " " + problem + " (expected: " + expected + ")");
      return null;
    }
    return p;
  }

  /** A value as a user would recognise it: {@code 'abc'}, {@code 12}, {@code list [1,2]}. */
  static String describe(ConfigValue v) {
    if (v == null) {
      return "missing";
    }
    if (v.valueType() == ConfigValueType.STRING) {
      return "'" + v.unwrapped() + "'";
    }
    String rendered = v.render(ConfigRenderOptions.concise());
    if (rendered.length() > 60) {
      rendered = rendered.substring(0, 57) + "...";
    }
    return switch (v.valueType()) {
      case LIST -> "list " + rendered;
      case OBJECT -> "object " + rendered;
      default -> rendered;
    };
  }
}
