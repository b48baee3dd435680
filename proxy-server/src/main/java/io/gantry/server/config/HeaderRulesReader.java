package io.gantry.server.config;

import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import io.gantry.proxy.header.HeaderRules;
import io.gantry.server.config.ConfigValues.Item;
import java.util.List;
import java.util.Map;

/**
 * Reads a route's {@code headers { request { ... }, response { ... } }}: per leg, {@code set { Name
 * = value }}, {@code add { Name = value }} (or a list of values) and {@code remove = [Name]}. Names
 * and values are checked by the library's {@link HeaderRules}, whose refusals are reported at the
 * key that gave them.
 */
final class HeaderRulesReader {
  private static final List<String> LEGS = List.of("request", "response");
  private static final List<String> RULES = List.of("set", "add", "remove");

  /** One route's rules for both legs. */
  record Legs(HeaderRules request, HeaderRules response) {
    static final Legs NONE = new Legs(HeaderRules.NONE, HeaderRules.NONE);
  }

  private final ConfigValues values;
  private final Problems problems;

  HeaderRulesReader(ConfigValues values) {
    this.values = values;
    this.problems = values.problems();
  }

  /** The rules of route {@code r}, {@link Legs#NONE} without a {@code headers} block; problems are reported. */
  Legs read(Block r) {
    if (!r.has("headers")) {
      return Legs.NONE;
    }
    Block headers = values.object(r, "headers");
    values.checkKeys(headers, LEGS);
    return new Legs(leg(headers, "request", HeaderRules.forRequests()), leg(headers, "response", HeaderRules.forResponses()));
  }

  private HeaderRules leg(Block headers, String leg, HeaderRules.Builder rules) {
    if (!headers.has(leg)) {
      return HeaderRules.NONE;
    }
    Block block = values.object(headers, leg);
    values.checkKeys(block, RULES);
    for (Map.Entry<String, ConfigValue> e : values.object(block, "set").own().entrySet()) {
      String at = block.at("set") + "." + Block.quote(e.getKey());
      String value = text(e.getValue(), at);
      if (value != null) {
        apply(e.getValue(), at, () -> rules.set(e.getKey(), value));
      }
    }
    for (Map.Entry<String, ConfigValue> e : values.object(block, "add").own().entrySet()) {
      String at = block.at("add") + "." + Block.quote(e.getKey());
      List<?> many = e.getValue().valueType() == ConfigValueType.LIST ? (List<?>) e.getValue().unwrapped() : List.of(e.getValue());
      for (Object v : many) {
        String value = v instanceof ConfigValue cv ? text(cv, at) : v == null ? null : String.valueOf(v);
        if (value != null) {
          apply(e.getValue(), at, () -> rules.add(e.getKey(), value));
        }
      }
    }
    List<Item> removed = values.strings(block, "remove", false);
    for (Item item : removed == null ? List.<Item>of() : removed) {
      apply(item.origin(), item.path(), () -> rules.remove(item.value()));
    }
    return rules.build();
  }

  private String text(ConfigValue v, String at) {
    return switch (v.valueType()) {
      case STRING, NUMBER, BOOLEAN -> String.valueOf(v.unwrapped());
      default -> {
        problems.error(v.origin(), at, ConfigValues.describe(v) + " (expected: a header value)");
        yield null;
      }
    };
  }

  private void apply(ConfigValue at, String path, Runnable rule) {
    apply(at.origin(), path, rule);
  }

  private void apply(ConfigOrigin origin, String path, Runnable rule) {
    try {
      rule.run();
    } catch (IllegalArgumentException e) {
      problems.rejected(origin, path, e);
    }
  }
}
