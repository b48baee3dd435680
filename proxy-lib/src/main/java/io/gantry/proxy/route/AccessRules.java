package io.gantry.proxy.route;

import io.gantry.proxy.address.AddressRanges;
import io.gantry.proxy.address.Cidr;
import io.gantry.proxy.path.PathNormalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Who may use a route and which paths it never forwards: client address blocks ({@code
 * allowFrom}, {@code denyFrom}) and path prefixes ({@code denyPaths}), answered 403 by the {@code
 * Router} before any upstream is contacted.
 *
 * <pre>{@code
 * AccessRules internetFacing = AccessRules.builder()
 *     .denyPaths("/service/rest/v1/script", "/service/rest/v1/security/", "/service/rest/internal/")
 *     .build();
 * AccessRules officeOnly = AccessRules.builder().allowFrom("10.0.0.0/8", "fd00::/8").denyFrom("10.9.0.0/16").build();
 * Route.builder("ui").when(host("nexus.example.com")).to(nexus).access(internetFacing).build();
 * }</pre>
 *
 * <p>The client address is the connection's peer. Forwarding headers ({@code X-Forwarded-For}),
 * even from trusted proxies, are never used for these decisions: their left-most entries are what
 * the client wrote, and a header is one misconfigured {@code trusted-proxies} entry away from
 * being a key anybody can forge. Behind an L4 load balancer, have it send the PROXY protocol
 * (Jetty's {@code ProxyConnectionFactory}): the connection's peer is then the address the PROXY
 * header names, and these rules see the real client.
 *
 * <p>{@code denyPaths} are matched segment by segment (like {@code pathPrefix}) on the normalised
 * path ({@link PathNormalizer}: dot segments resolved, {@code %2e} and {@code //} undone), and
 * also with {@code ;parameters} dropped, {@code %2F} read as {@code /} and ignoring case, the
 * readings a servlet backend such as Nexus may apply: a path any of them reads as denied is.
 */
public final class AccessRules {
  /** No rules: every client, every path. */
  public static final AccessRules NONE = new AccessRules(AddressRanges.NONE, AddressRanges.NONE, List.of());

  private final AddressRanges allowFrom;
  private final AddressRanges denyFrom;
  /** Normalised prefixes ending in '/', as given. */
  private final List<String> denyPaths;
  /** The same, lower case, for matching. */
  private final List<String> denyPathsLower;

  private AccessRules(AddressRanges allowFrom, AddressRanges denyFrom, List<String> denyPaths) {
    this.allowFrom = allowFrom;
    this.denyFrom = denyFrom;
    this.denyPaths = List.copyOf(denyPaths);
    this.denyPathsLower = denyPaths.stream().map(p -> p.toLowerCase(Locale.ROOT)).toList();
  }

  public static Builder builder() {
    return new Builder();
  }

  public boolean isEmpty() {
    return allowFrom.isEmpty() && denyFrom.isEmpty() && denyPaths.isEmpty();
  }

  public AddressRanges allowFrom() {
    return allowFrom;
  }

  public AddressRanges denyFrom() {
    return denyFrom;
  }

  /** The denied path prefixes, normalised, each ending in {@code /}. */
  public List<String> denyPaths() {
    return denyPaths;
  }

  /**
   * Why a request from {@code clientAddress} (an IP literal, or {@code null} when unknown) for the
   * normalised {@code path} is refused, or {@code null} when it may pass. An address that is not an
   * IP literal is refused whenever an address rule exists (fail closed).
   */
  public Denial check(String clientAddress, String path) {
    if (!allowFrom.isEmpty() || !denyFrom.isEmpty()) {
      byte[] address = Cidr.literal(clientAddress);
      if (address == null) {
        return new Denial("client address unknown", "allow-from/deny-from");
      }
      if (!allowFrom.isEmpty() && !allowFrom.contains(address)) {
        return new Denial("client address " + clientAddress + " is not allowed on this route", "allow-from");
      }
      if (denyFrom.contains(address)) {
        return new Denial("client address " + clientAddress + " is not allowed on this route", "deny-from");
      }
    }
    if (!denyPaths.isEmpty()) {
      String judged = judged(path);
      for (int i = 0; i < denyPathsLower.size(); i++) {
        String prefix = denyPathsLower.get(i);
        if (judged.startsWith(prefix) || (judged.length() == prefix.length() - 1 && prefix.startsWith(judged))) {
          return new Denial("path " + denyPaths.get(i) + " is not served here", "deny-paths");
        }
      }
    }
    return null;
  }

  /**
   * A refusal: {@code reason} for the client (its own address or the denied prefix, never the
   * address lists), {@code rule} for the log.
   */
  public record Denial(String reason, String rule) {}

  /** The path as the most liberal backend reads it: {@code %2F} a separator, {@code ;params} dropped, lower case. */
  static String judged(String path) {
    String p = path;
    if (p.indexOf('%') >= 0) {
      p = p.replace("%2F", "/").replace("%2f", "/");
    }
    if (p.indexOf(';') >= 0) {
      StringBuilder b = new StringBuilder(p.length());
      boolean inParams = false;
      for (int i = 0; i < p.length(); i++) {
        char c = p.charAt(i);
        if (c == '/') {
          inParams = false;
        } else if (c == ';') {
          inParams = true;
        }
        if (!inParams) {
          b.append(c);
        }
      }
      p = b.toString();
    }
    while (p.contains("//")) {
      p = p.replace("//", "/");
    }
    return p.toLowerCase(Locale.ROOT);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof AccessRules a && a.allowFrom.equals(allowFrom) && a.denyFrom.equals(denyFrom)
        && a.denyPaths.equals(denyPaths);
  }

  @Override
  public int hashCode() {
    return Objects.hash(allowFrom, denyFrom, denyPaths);
  }

  /** {@code allow-from 10.0.0.0/8; deny-paths /service/rest/v1/script/}, as the route table prints it. */
  @Override
  public String toString() {
    List<String> parts = new ArrayList<>();
    if (!allowFrom.isEmpty()) {
      parts.add("allow-from " + allowFrom);
    }
    if (!denyFrom.isEmpty()) {
      parts.add("deny-from " + denyFrom);
    }
    if (!denyPaths.isEmpty()) {
      parts.add("deny-paths " + String.join(", ", denyPaths));
    }
    return String.join("; ", parts);
  }

  /** Builds {@link AccessRules}; every block and prefix is checked here, once. */
  public static final class Builder {
    private AddressRanges allowFrom = AddressRanges.NONE;
    private AddressRanges denyFrom = AddressRanges.NONE;
    private final List<String> denyPaths = new ArrayList<>();

    private Builder() {}

    /** Only clients in these blocks may use the route (setting {@code allowFrom} when refused). */
    public Builder allowFrom(List<String> cidrs) {
      this.allowFrom = AddressRanges.parse(cidrs, "allowFrom");
      return this;
    }

    public Builder allowFrom(String... cidrs) {
      return allowFrom(Arrays.asList(cidrs));
    }

    /** Clients in these blocks may not use the route, even when {@code allowFrom} lets them. */
    public Builder denyFrom(List<String> cidrs) {
      this.denyFrom = AddressRanges.parse(cidrs, "denyFrom");
      return this;
    }

    public Builder denyFrom(String... cidrs) {
      return denyFrom(Arrays.asList(cidrs));
    }

    /** Adds path prefixes the route answers 403 for ({@code /service/rest/v1/script}); setting {@code denyPaths}. */
    public Builder denyPaths(List<String> prefixes) {
      for (String p : prefixes) {
        if (p == null) {
          throw new io.gantry.proxy.validation.InvalidSettingException("denyPaths", "null (expected: a path prefix)");
        }
        String prefix = RouteStrategies.prefix("denyPaths", p);
        if (!denyPaths.contains(prefix)) {
          denyPaths.add(prefix);
        }
      }
      return this;
    }

    public Builder denyPaths(String... prefixes) {
      return denyPaths(Arrays.asList(prefixes));
    }

    public AccessRules build() {
      return isEmpty() ? NONE : new AccessRules(allowFrom, denyFrom, denyPaths);
    }

    private boolean isEmpty() {
      return allowFrom.isEmpty() && denyFrom.isEmpty() && denyPaths.isEmpty();
    }
  }
}
