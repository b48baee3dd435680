package io.gantry.proxy.header;

import io.gantry.proxy.validation.InvalidSettingException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.ListIterator;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;

/**
 * Headers a route sets, adds or removes on one leg (the upstream request, or the client
 * response), like nginx's {@code proxy_set_header} / {@code add_header} / {@code
 * proxy_hide_header} and Spring Cloud Gateway's header filters. Applied after gantry's own rules
 * and unable to undo them: hop-by-hop headers, {@code Content-Length}, and on requests the
 * forwarding headers and {@code X-Request-Id} are refused at build time, so no rule can forge a
 * client address or break framing.
 *
 * <pre>{@code
 * HeaderRules toNexus = HeaderRules.forRequests().set("X-Team", "a").remove("Cookie").build();
 * HeaderRules toClient = HeaderRules.forResponses().add("X-Frame-Options", "DENY").remove("X-Powered-By").build();
 * Route.builder("ui").when(host("nexus.example.com")).to(nexus)
 *     .requestHeaders(toNexus).responseHeaders(toClient).build();
 * }</pre>
 *
 * <p>{@code remove} drops every field of the name; {@code set} replaces them with one value;
 * {@code add} appends a field and keeps the others.
 */
public final class HeaderRules {
  /** No rules. */
  public static final HeaderRules NONE = new HeaderRules(Map.of(), Map.of(), Set.of());

  private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
  private static final Set<String> NEVER = Set.of("connection", "keep-alive", "proxy-authenticate",
      "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "content-length");
  private static final Set<String> NEVER_ON_REQUESTS = Set.of("x-request-id");

  private final Map<String, String> set;
  private final Map<String, List<String>> add;
  private final Set<String> remove;
  /** Lower-case names whose upstream fields do not cross: removed or replaced. */
  private final Set<String> dropped;
  private final List<HttpField> additions;

  private HeaderRules(Map<String, String> set, Map<String, List<String>> add, Set<String> remove) {
    this.set = set;
    this.add = add;
    this.remove = remove;
    Set<String> drop = new LinkedHashSet<>();
    remove.forEach(n -> drop.add(n.toLowerCase(Locale.ROOT)));
    set.keySet().forEach(n -> drop.add(n.toLowerCase(Locale.ROOT)));
    this.dropped = Set.copyOf(drop);
    List<HttpField> fields = new ArrayList<>();
    set.forEach((n, v) -> fields.add(new HttpField(n, v)));
    add.forEach((n, values) -> values.forEach(v -> fields.add(new HttpField(n, v))));
    this.additions = List.copyOf(fields);
  }

  /** Starts rules for the upstream request: forwarding headers and {@code X-Request-Id} are gantry's. */
  public static Builder forRequests() {
    return new Builder(true);
  }

  /** Starts rules for the client response. */
  public static Builder forResponses() {
    return new Builder(false);
  }

  public boolean isEmpty() {
    return additions.isEmpty() && dropped.isEmpty();
  }

  /** Whether a field of this lower-case name is dropped (removed, or replaced by a set value). */
  public boolean drops(String lowerCaseName) {
    return dropped.contains(lowerCaseName);
  }

  /** The fields the rules put in, set ones first, after the dropped names are gone. */
  public List<HttpField> additions() {
    return additions;
  }

  /** Applies the rules to {@code fields}: drops, then set and added values. */
  public void applyTo(HttpFields.Mutable fields) {
    if (isEmpty()) {
      return;
    }
    if (!dropped.isEmpty()) {
      for (ListIterator<HttpField> i = fields.listIterator(); i.hasNext(); ) {
        if (dropped.contains(i.next().getLowerCaseName())) {
          i.remove();
        }
      }
    }
    additions.forEach(fields::add);
  }

  /** {@code set X-Team: a; add X-Trace: 1; remove Cookie}, as the route table prints it. */
  @Override
  public String toString() {
    List<String> parts = new ArrayList<>();
    set.forEach((n, v) -> parts.add("set " + n + ": " + v));
    add.forEach((n, values) -> values.forEach(v -> parts.add("add " + n + ": " + v)));
    remove.forEach(n -> parts.add("remove " + n));
    return String.join("; ", parts);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof HeaderRules r && r.set.equals(set) && r.add.equals(add) && r.remove.equals(remove);
  }

  @Override
  public int hashCode() {
    return set.hashCode() * 31 + add.hashCode() * 7 + remove.hashCode();
  }

  /** Builds {@link HeaderRules}; every name and value is checked here, once. */
  public static final class Builder {
    private final boolean request;
    private final Map<String, String> set = new LinkedHashMap<>();
    private final Map<String, List<String>> add = new LinkedHashMap<>();
    private final Set<String> remove = new LinkedHashSet<>();

    private Builder(boolean request) {
      this.request = request;
    }

    /** Replaces every field named {@code name} with one of value {@code value}. */
    public Builder set(String name, String value) {
      set.put(name(name), value(name, value));
      return this;
    }

    /** Adds a field, keeping any others of the same name. */
    public Builder add(String name, String value) {
      add.computeIfAbsent(name(name), n -> new ArrayList<>()).add(value(name, value));
      return this;
    }

    /** Drops every field named {@code name}. */
    public Builder remove(String name) {
      remove.add(name(name));
      return this;
    }

    public HeaderRules build() {
      if (set.isEmpty() && add.isEmpty() && remove.isEmpty()) {
        return NONE;
      }
      Map<String, List<String>> adds = new LinkedHashMap<>();
      add.forEach((n, v) -> adds.put(n, List.copyOf(v)));
      return new HeaderRules(Map.copyOf(set), adds, Set.copyOf(remove));
    }

    private String name(String name) {
      if (name == null || !TOKEN.matcher(name).matches()) {
        throw new InvalidSettingException("name", "'" + name + "' (expected: a header name, an HTTP token)");
      }
      String lower = name.toLowerCase(Locale.ROOT);
      if (NEVER.contains(lower)) {
        throw new InvalidSettingException("name", "'" + name
            + "' (expected: an end-to-end header; hop-by-hop headers and Content-Length belong to the connection)");
      }
      if (request && (NEVER_ON_REQUESTS.contains(lower) || ForwardedHeaders.OWNED.contains(lower))) {
        throw new InvalidSettingException("name", "'" + name
            + "' (expected: a header gantry does not own; forwarding headers and X-Request-Id come from the real"
            + " connection, see trusted proxies)");
      }
      return name;
    }

    private static String value(String name, String value) {
      if (value == null) {
        throw new InvalidSettingException("value", "null for " + name + " (expected: a header value)");
      }
      for (int i = 0; i < value.length(); i++) {
        char c = value.charAt(i);
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
          throw new InvalidSettingException("value", "for " + name + " contains a control character (expected: a"
              + " header value without CR, LF or other control characters)");
        }
      }
      return value.trim();
    }
  }
}
