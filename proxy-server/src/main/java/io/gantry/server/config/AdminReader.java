package io.gantry.server.config;

import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import io.gantry.proxy.address.AddressRanges;
import java.util.ArrayList;
import java.util.List;

/** Reads {@code gantry.admin}, whose port must be its own. */
final class AdminReader {
  private static final List<String> KEYS = List.of("enabled", "host", "port", "allow-from", "basic-auth");
  private static final List<String> BASIC_AUTH_KEYS = List.of("user", "password");

  private final ConfigValues values;
  private final Problems problems;

  AdminReader(ConfigValues values) {
    this.values = values;
    this.problems = values.problems();
  }

  AdminConfig read(Block root, List<ListenerConfig> listeners) {
    Block a = values.object(root, "admin");
    values.checkKeys(a, KEYS);
    Boolean enabled = values.bool(a, "enabled", true);
    String host = values.string(a, "host", true, "a bind address such as 127.0.0.1");
    Integer port = values.port(a, "port", true);
    List<String> allowFrom = allowFrom(a);
    AdminConfig.BasicAuth basicAuth = basicAuth(a);
    if (enabled == null || host == null || port == null || allowFrom == null) {
      return null;
    }
    if (enabled) {
      List<Binding> bound = listeners.stream()
          .map(l -> new Binding(l.host(), l.port(), "listener '" + l.name() + "'", l.line()))
          .toList();
      Binding clash = Binding.clash(bound, host, port);
      if (clash != null) {
        problems.error(a.get("port").origin(), a.at("port"), port + " is already used by " + clash.owner() + " (line "
            + clash.line() + ") (expected: a port of its own for the admin listener)");
      }
    }
    return new AdminConfig(enabled, host, port, allowFrom, basicAuth);
  }

  /** Addresses and CIDRs, each checked by the library; {@code null} after a problem. */
  private List<String> allowFrom(Block a) {
    List<ConfigValues.Item> items = values.strings(a, "allow-from", false);
    List<String> out = new ArrayList<>();
    boolean ok = true;
    for (ConfigValues.Item item : items == null ? List.<ConfigValues.Item>of() : items) {
      try {
        AddressRanges.parse(List.of(item.value()), "allowFrom");
        out.add(item.value().trim());
      } catch (IllegalArgumentException e) {
        problems.rejected(item.origin(), item.path(), e);
        ok = false;
      }
    }
    return ok ? out : null;
  }

  /** {@code basic-auth { user, password }} or null; the password is never part of a message. */
  private AdminConfig.BasicAuth basicAuth(Block a) {
    ConfigValue v = a.get("basic-auth");
    if (v == null || v.valueType() == ConfigValueType.NULL) {
      return null;
    }
    if (v.valueType() != ConfigValueType.OBJECT) {
      problems.error(v.origin(), a.at("basic-auth"), ConfigValues.describe(v)
          + " (expected: { user = admin, password = ${?GANTRY_ADMIN_PASSWORD} } or null)");
      return null;
    }
    Block b = values.object(a, "basic-auth");
    values.checkKeys(b, BASIC_AUTH_KEYS);
    String user = values.string(b, "user", true, "a user name without ':'");
    if (user != null && (user.isEmpty() || user.indexOf(':') >= 0)) {
      problems.error(b.get("user").origin(), b.at("user"), "'" + user + "' (expected: a non-empty user name without ':')");
      user = null;
    }
    ConfigValue pw = b.get("password");
    if (pw == null || pw.valueType() != ConfigValueType.STRING || ((String) pw.unwrapped()).isEmpty()) {
      problems.error(pw == null ? b.origin() : pw.origin(), b.at("password"),
          (pw == null ? "missing" : "not a non-empty string") + " (expected: a password, e.g. password = ${?GANTRY_ADMIN_PASSWORD};"
              + " an unset variable leaves it missing)");
      return null;
    }
    return user == null ? null : new AdminConfig.BasicAuth(user, (String) pw.unwrapped());
  }
}
