package io.gantry.deploy;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.MapperFeature;
import tools.jackson.databind.MappingIterator;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * Reads Kubernetes manifests into the fabric8 model as strictly as the API server's schema does
 * for what matters here: an unknown or misspelt field, a wrong type ("replicas: two", a string
 * where a number goes) or a scalar coerced across types fails. fabric8's classes keep unknown
 * fields in {@code additionalProperties} instead of rejecting them, so every object in the read
 * tree is walked and any non-empty {@code additionalProperties} is an error.
 */
final class StrictManifests {
  private static final YAMLMapper YAML = YAMLMapper.builder()
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
      .build();
  private static final JsonMapper JSON = JsonMapper.builder()
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
      .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
      .build();

  private StrictManifests() {}

  /** Every YAML document of {@code file}, as trees (a file may hold several, separated by ---). */
  static List<JsonNode> documents(Path file) throws IOException {
    List<JsonNode> docs = new ArrayList<>();
    try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(file.toFile())) {
      while (it.hasNextValue()) {
        JsonNode doc = it.nextValue();
        if (doc != null && !doc.isNull() && !doc.isMissingNode()) {
          docs.add(doc);
        }
      }
    }
    return docs;
  }

  /** {@code doc} as {@code type}, failing on anything the model does not know. */
  static <T> T read(JsonNode doc, Class<T> type, String where) {
    T value;
    try {
      value = JSON.treeToValue(doc, type);
    } catch (RuntimeException e) {
      throw new AssertionError(where + ": not a valid " + type.getSimpleName() + ": " + e.getMessage(), e);
    }
    List<String> unknown = new ArrayList<>();
    unknownFields(value, type.getSimpleName(), unknown);
    if (!unknown.isEmpty()) {
      throw new AssertionError(where + ": unknown fields (misspelt, or not in this Kubernetes API): " + unknown);
    }
    return value;
  }

  /** Collects the paths of non-empty additionalProperties under {@code node}. */
  private static void unknownFields(Object node, String path, List<String> out) {
    if (node == null) {
      return;
    }
    if (node instanceof Collection<?> list) {
      int i = 0;
      for (Object item : list) {
        unknownFields(item, path + "[" + i++ + "]", out);
      }
      return;
    }
    if (node instanceof Map<?, ?> map) {
      for (Map.Entry<?, ?> e : map.entrySet()) {
        unknownFields(e.getValue(), path + "." + e.getKey(), out);
      }
      return;
    }
    if (!node.getClass().getName().startsWith("io.fabric8.")) {
      return;
    }
    for (Method m : node.getClass().getMethods()) {
      if (m.getParameterCount() != 0 || Modifier.isStatic(m.getModifiers()) || !m.getName().startsWith("get")
          || m.getDeclaringClass() == Object.class) {
        continue;
      }
      Object child;
      try {
        child = m.invoke(node);
      } catch (IllegalAccessException | InvocationTargetException e) {
        continue;  // a computed getter that does not apply to this value
      }
      if (m.getName().equals("getAdditionalProperties")) {
        if (child instanceof Map<?, ?> extra && !extra.isEmpty()) {
          extra.keySet().forEach(k -> out.add(path + "." + k));
        }
      } else if (child instanceof Collection<?> || child instanceof Map<?, ?>
          || (child != null && child.getClass().getName().startsWith("io.fabric8."))) {
        String name = m.getName().substring(3);
        unknownFields(child, path + "." + Character.toLowerCase(name.charAt(0)) + name.substring(1), out);
      }
    }
  }
}
