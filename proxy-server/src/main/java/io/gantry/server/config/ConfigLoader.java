package io.gantry.server.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigResolveOptions;
import com.typesafe.config.ConfigResolver;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads a gantry HOCON file into a validated {@link GantryConfig}. Every problem is collected and
 * reported at once, each with its file, line and key path; defaults come from {@code
 * reference.conf}. Substitutions such as {@code ${?GANTRY_P12_PASSWORD}} are resolved from the
 * file itself, then from the loader's {@link #withVariables variables}, then from system
 * properties, then from the environment.
 *
 * <pre>{@code
 * try {
 *   GantryConfig config = ConfigLoader.defaults().load(Path.of("/etc/gantry/gantry.conf"));
 * } catch (InvalidConfigException e) {
 *   e.problems().forEach(System.err::println);   // gantry.conf:12: gantry.routes[2].to: ...
 * }
 * }</pre>
 *
 * <p>Instances are immutable; the {@code with...} methods return a changed copy.
 */
public final class ConfigLoader {
  private final boolean checkFiles;
  private final Map<String, String> variables;

  private ConfigLoader(boolean checkFiles, Map<String, String> variables) {
    this.checkFiles = checkFiles;
    this.variables = Map.copyOf(variables);
  }

  /** A loader that checks certificate and CA files and resolves from system properties and the environment. */
  public static ConfigLoader defaults() {
    return new ConfigLoader(true, Map.of());
  }

  /**
   * Whether certificate, keystore and CA files must exist and be readable (the default). Turn it
   * off to lint a configuration on another machine: upstream {@code ca} files are then not read
   * and those upstreams get no trust store, so such a configuration is for checking only.
   */
  public ConfigLoader withFileChecks(boolean check) {
    return new ConfigLoader(check, variables);
  }

  /** Values for {@code ${NAME}} substitutions, taking precedence over system properties and the environment. */
  public ConfigLoader withVariables(Map<String, String> vars) {
    return new ConfigLoader(checkFiles, vars);
  }

  /**
   * Loads and validates {@code file}.
   *
   * @throws InvalidConfigException listing every problem (errors and warnings) when there is an error
   */
  public GantryConfig load(Path file) {
    List<ConfigProblem> problems = new ArrayList<>();
    GantryConfig config = read(file, problems);
    if (config == null) {
      throw new InvalidConfigException(problems);
    }
    return config;
  }

  /** Loads {@code file} and returns every problem found, without throwing; empty when the file is fine. */
  public List<ConfigProblem> check(Path file) {
    List<ConfigProblem> problems = new ArrayList<>();
    read(file, problems);
    return List.copyOf(problems);
  }

  /**
   * The line {@code keyPath} ({@code gantry.engine}) is set on in {@code file}, or 0 when the file
   * does not set it (the default applies) or cannot be parsed. For messages about a valid file.
   */
  public static int lineOf(Path file, String keyPath) {
    try {
      Config parsed = ConfigFactory.parseFile(file.toFile(), ConfigParseOptions.defaults().setAllowMissing(false));
      return parsed.hasPathOrNull(keyPath) ? Math.max(0, parsed.getValue(keyPath).origin().lineNumber()) : 0;
    } catch (ConfigException e) {
      return 0;
    }
  }

  private GantryConfig read(Path file, List<ConfigProblem> problems) {
    String fileName = file.toString();
    ClassLoader loader = classLoader();
    Config parsed;
    Config resolved;
    try {
      parsed = ConfigFactory.parseFile(file.toFile(), ConfigParseOptions.defaults()
          .setAllowMissing(false)
          .setClassLoader(loader));
      Config merged = parsed.withFallback(ConfigFactory.defaultReferenceUnresolved(loader));
      resolved = merged.resolve(ConfigResolveOptions.defaults().appendResolver(new Variables(variables, null)));
    } catch (ConfigException e) {
      problems.add(fromException(e, fileName));
      return null;
    }
    Path absolute = file.toAbsolutePath().normalize();
    ConfigReader reader = new ConfigReader(fileName, absolute, checkFiles);
    GantryConfig config = reader.read(parsed, resolved);
    problems.addAll(reader.problems());
    return config;
  }

  static ClassLoader classLoader() {
    ClassLoader context = Thread.currentThread().getContextClassLoader();
    return context != null ? context : ConfigLoader.class.getClassLoader();
  }

  /** A parse or resolve error of Typesafe Config, without the origin it repeats in its message. */
  private static ConfigProblem fromException(ConfigException e, String fileName) {
    ConfigOrigin origin = e.origin();
    String message = e.getMessage();
    String file = fileName;
    int line = 0;
    if (origin != null) {
      String prefix = origin.description() + ": ";
      if (message.startsWith(prefix)) {
        message = message.substring(prefix.length());
      }
      if (origin.filename() != null) {
        file = origin.filename();
      }
      line = Math.max(0, origin.lineNumber());
    }
    if (e instanceof ConfigException.IO) {
      message = message + " (expected: a readable HOCON file)";
    } else if (e instanceof ConfigException.UnresolvedSubstitution) {
      message = message + " (expected: a defined key, system property or environment variable;"
          + " use ${?NAME} for an optional one)";
    }
    return new ConfigProblem(file, line, "", message, ConfigProblem.Severity.ERROR);
  }

  /** Looks substitutions up in the loader's variables, then in system properties. */
  private record Variables(Map<String, String> map, ConfigResolver fallback) implements ConfigResolver {
    @Override
    public ConfigValue lookup(String path) {
      String name = path.startsWith("\"") && path.endsWith("\"") && path.length() > 1
          ? path.substring(1, path.length() - 1) : path;
      String value = map.get(name);
      String source = "variable ";
      if (value == null) {
        value = System.getProperty(name);
        source = "system property ";
      }
      if (value != null) {
        return ConfigValueFactory.fromAnyRef(value, source + name);
      }
      return fallback == null ? null : fallback.lookup(path);
    }

    @Override
    public ConfigResolver withFallback(ConfigResolver other) {
      return new Variables(map, fallback == null ? other : fallback.withFallback(other));
    }
  }
}
