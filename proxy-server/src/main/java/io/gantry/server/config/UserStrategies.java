package io.gantry.server.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import io.gantry.proxy.route.RouteStrategy;
import io.gantry.server.config.RouteConfig.UserStrategy;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Modifier;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A route's {@code strategy}: a user's own {@link RouteStrategy} class, {@code strategy =
 * com.example.Mine} or {@code strategy { class = com.example.Mine, config { ... } }}, loaded from
 * {@link ConfigLoader#classLoader()} and instantiated once, at load time, with its {@code config}
 * block when it has a constructor taking {@link Config}.
 */
final class UserStrategies {
  private static final List<String> KEYS = List.of("class", "config");
  private static final Pattern CLASS_NAME = Pattern.compile("\\p{javaJavaIdentifierStart}\\p{javaJavaIdentifierPart}*"
      + "(\\.\\p{javaJavaIdentifierStart}\\p{javaJavaIdentifierPart}*)*(\\$\\p{javaJavaIdentifierPart}+)*");
  private static final String EXPECTED = " (expected: a public class implementing " + RouteStrategy.class.getName()
      + " with a public constructor taking " + Config.class.getName() + " or none)";

  /** A user strategy as configured, and the instance routes use. */
  record Loaded(UserStrategy config, RouteStrategy strategy) {}

  private final ConfigValues values;
  private final Problems problems;

  UserStrategies(ConfigValues values) {
    this.values = values;
    this.problems = values.problems();
  }

  /** The route's strategy, or {@code null} when it has none or it cannot be loaded (reported). */
  Loaded read(Block route) {
    ConfigValue v = route.get("strategy");
    if (v == null || v.valueType() == ConfigValueType.NULL) {
      return null;
    }
    String className;
    String path;
    ConfigOrigin at;
    Config config = ConfigFactory.empty();
    boolean hasConfig = false;
    if (v.valueType() == ConfigValueType.OBJECT) {
      Block s = new Block(route.at("strategy"), (ConfigObject) v, null, v.origin());
      values.checkKeys(s, KEYS);
      className = values.string(s, "class", true, "a class name such as com.example.MyStrategy");
      path = s.at("class");
      at = className == null ? null : s.get("class").origin();
      ConfigValue c = s.get("config");
      if (c != null && c.valueType() == ConfigValueType.OBJECT) {
        config = ((ConfigObject) c).toConfig();
        hasConfig = true;
      } else if (c != null && c.valueType() != ConfigValueType.NULL) {
        problems.error(c.origin(), s.at("config"), ConfigValues.describe(c) + " (expected: an object, the strategy's own settings)");
        return null;
      }
    } else {
      className = values.string(route, "strategy", false,
          "a class name such as com.example.MyStrategy, or { class = ..., config { ... } }");
      path = route.at("strategy");
      at = v.origin();
    }
    if (className == null) {
      return null;
    }
    RouteStrategy strategy = instantiate(className.trim(), config, hasConfig, at, path);
    return strategy == null ? null : new Loaded(new UserStrategy(className.trim(), config), strategy);
  }

  private RouteStrategy instantiate(String className, Config config, boolean hasConfig, ConfigOrigin at, String path) {
    if (!CLASS_NAME.matcher(className).matches()) {
      problems.error(at, path, "'" + className + "' is not a class name" + EXPECTED);
      return null;
    }
    Class<?> type;
    try {
      type = Class.forName(className, true, ConfigLoader.classLoader());
    } catch (ClassNotFoundException | LinkageError e) {
      problems.error(at, path, "class " + className + " not found" + (e instanceof LinkageError ? " (" + e + ")" : "")
          + " (expected: a class on the class path implementing " + RouteStrategy.class.getName() + ")");
      return null;
    }
    if (!RouteStrategy.class.isAssignableFrom(type)) {
      problems.error(at, path, "class " + className + " does not implement " + RouteStrategy.class.getName() + EXPECTED);
      return null;
    }
    if (Modifier.isAbstract(type.getModifiers())) {
      problems.error(at, path, "class " + className + " is abstract" + EXPECTED);
      return null;
    }
    Constructor<?> constructor;
    Object[] args;
    try {
      constructor = type.getConstructor(Config.class);
      args = new Object[] {config};
    } catch (NoSuchMethodException e) {
      if (hasConfig) {
        problems.error(at, path, "class " + className + " has no public constructor taking " + Config.class.getName()
            + ", so its config block cannot be used (expected: public " + type.getSimpleName() + "(Config config),"
            + " or no config block)");
        return null;
      }
      try {
        constructor = type.getConstructor();
        args = new Object[0];
      } catch (NoSuchMethodException e2) {
        problems.error(at, path, "class " + className + " has no public constructor taking " + Config.class.getName()
            + " nor a public no-argument constructor" + EXPECTED);
        return null;
      }
    }
    try {
      return (RouteStrategy) constructor.newInstance(args);
    } catch (InvocationTargetException e) {
      Throwable cause = e.getCause();
      problems.error(at, path, "class " + className + ": constructor failed: " + (cause.getMessage() != null
          ? cause.getMessage() : cause.getClass().getName()) + " (expected: a valid strategy configuration)");
    } catch (ReflectiveOperationException | RuntimeException e) {
      problems.error(at, path, "class " + className + ": cannot create an instance: " + e + EXPECTED);
    }
    return null;
  }
}
