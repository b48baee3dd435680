package io.gantry.server.config;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;

/**
 * An object being read: the user's value over a fallback of defaults (for a list element, its
 * {@code gantry.defaults} entry). Keys are checked against {@link #own()} only, so a default is
 * never reported as the user's unknown key.
 *
 * @param path the key path, {@code gantry.listeners[0]}
 * @param own the user's object; empty when absent
 * @param fallback defaults for keys {@code own} lacks, or {@code null}
 * @param origin where the object is, for problems about it as a whole
 */
record Block(String path, ConfigObject own, ConfigObject fallback, ConfigOrigin origin) {

  Block {
    own = own == null ? ConfigFactory.empty().root() : own;
  }

  /** The value of {@code key}, the user's or else the default; {@code null} when neither. */
  ConfigValue get(String key) {
    ConfigValue v = own.get(key);
    return v == null && fallback != null ? fallback.get(key) : v;
  }

  /** Whether the key is set to something other than null. */
  boolean has(String key) {
    ConfigValue v = get(key);
    return v != null && v.valueType() != ConfigValueType.NULL;
  }

  /** The path of {@code key} in this object, quoted when HOCON needs it. */
  String at(String key) {
    return path + "." + quote(key);
  }

  /** This object with {@code fallback} under it. */
  Block withFallback(ConfigObject defaults) {
    return new Block(path, own, defaults, origin);
  }

  static String quote(String key) {
    return key.matches("[A-Za-z0-9_-]+") ? key : ConfigUtil.quoteString(key);
  }
}
