package io.gantry.proxy.route;

import io.gantry.proxy.header.HeaderRules;
import io.gantry.proxy.limit.ClientLimits;
import io.gantry.proxy.upstream.Upstream;
import io.gantry.proxy.validation.InvalidSettingException;
import java.util.Objects;

/**
 * One line of the route table: a name, the strategy that selects requests, and the upstream they
 * go to.
 *
 * <pre>{@code
 * Route pull = Route.builder("registry-pull")
 *     .when(host("registry.example.com").and(method("GET", "HEAD")))
 *     .to(Upstream.of("http://nexus:8081/repository/docker-group/"))
 *     .build();
 * }</pre>
 */
public final class Route {
  private final String name;
  private final RouteStrategy strategy;
  private final Upstream upstream;
  private final boolean allowEncodedSlashes;
  private final HeaderRules requestHeaders;
  private final HeaderRules responseHeaders;
  private final AccessRules access;
  private final ClientLimits clientLimits;

  private Route(Builder b) {
    if (b.name == null || b.name.isBlank()) {
      throw new InvalidSettingException("name", "'" + b.name + "' (expected: a non-blank route name)");
    }
    this.name = b.name.trim();
    this.strategy = Objects.requireNonNull(b.strategy, "route " + name + ": strategy");
    this.upstream = Objects.requireNonNull(b.upstream, "route " + name + ": upstream");
    this.allowEncodedSlashes = b.allowEncodedSlashes;
    this.requestHeaders = b.requestHeaders;
    this.responseHeaders = b.responseHeaders;
    this.access = b.access;
    this.clientLimits = b.clientLimits;
  }

  /** A route matching {@code strategy}, sent to {@code upstream}. */
  public static Route of(String name, RouteStrategy strategy, Upstream upstream) {
    return builder(name).when(strategy).to(upstream).build();
  }

  public static Builder builder(String name) {
    return new Builder(name);
  }

  public String name() {
    return name;
  }

  public RouteStrategy strategy() {
    return strategy;
  }

  public Upstream upstream() {
    return upstream;
  }

  /** Whether {@code %2F} in a path is forwarded (encoded) rather than refused with 400. */
  public boolean allowEncodedSlashes() {
    return allowEncodedSlashes;
  }

  /** Headers set, added or removed on the upstream request, after gantry's own; none by default. */
  public HeaderRules requestHeaders() {
    return requestHeaders;
  }

  /** Headers set, added or removed on the client response, after gantry's rewriting; none by default. */
  public HeaderRules responseHeaders() {
    return responseHeaders;
  }

  /** Client address and path rules answered 403 before any upstream is contacted; none by default. */
  public AccessRules access() {
    return access;
  }

  /** This route's own per-client limits, replacing the proxy's; {@link ClientLimits#NONE} (the proxy's apply) by default. */
  public ClientLimits clientLimits() {
    return clientLimits;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Route r && r.name.equals(name) && r.strategy.equals(strategy)
        && r.upstream.equals(upstream) && r.allowEncodedSlashes == allowEncodedSlashes
        && r.requestHeaders.equals(requestHeaders) && r.responseHeaders.equals(responseHeaders)
        && r.access.equals(access) && r.clientLimits.equals(clientLimits);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, strategy, upstream);
  }

  /** {@code name: rule -> upstream}, the way the route table prints it. */
  @Override
  public String toString() {
    return name + ": " + strategy + " -> " + upstream + (allowEncodedSlashes ? " (encoded slashes allowed)" : "")
        + (requestHeaders.isEmpty() ? "" : " [request: " + requestHeaders + "]")
        + (responseHeaders.isEmpty() ? "" : " [response: " + responseHeaders + "]")
        + (access.isEmpty() ? "" : " [access: " + access + "]")
        + (clientLimits.isEnabled() ? " [client limits: " + clientLimits + "]" : "");
  }

  /** Builds a {@link Route}. */
  public static final class Builder {
    private final String name;
    private RouteStrategy strategy = RouteStrategies.any();
    private Upstream upstream;
    private boolean allowEncodedSlashes;
    private HeaderRules requestHeaders = HeaderRules.NONE;
    private HeaderRules responseHeaders = HeaderRules.NONE;
    private AccessRules access = AccessRules.NONE;
    private ClientLimits clientLimits = ClientLimits.NONE;

    private Builder(String name) {
      this.name = name;
    }

    /** The strategy selecting this route's requests; {@code any()} when not set. */
    public Builder when(RouteStrategy strategy) {
      this.strategy = strategy;
      return this;
    }

    public Builder to(Upstream upstream) {
      this.upstream = upstream;
      return this;
    }

    public Builder to(String upstreamUrl) {
      return to(Upstream.of(upstreamUrl));
    }

    /** Forward {@code %2F} in paths instead of refusing it (some Nexus formats need it). */
    public Builder allowEncodedSlashes(boolean allow) {
      this.allowEncodedSlashes = allow;
      return this;
    }

    /** Headers to set, add or remove on the upstream request ({@link HeaderRules#forRequests()}). */
    public Builder requestHeaders(HeaderRules rules) {
      this.requestHeaders = Objects.requireNonNull(rules, "requestHeaders");
      return this;
    }

    /** Headers to set, add or remove on the client response ({@link HeaderRules#forResponses()}). */
    public Builder responseHeaders(HeaderRules rules) {
      this.responseHeaders = Objects.requireNonNull(rules, "responseHeaders");
      return this;
    }

    /** Who may use the route and which paths it never forwards ({@link AccessRules}). */
    public Builder access(AccessRules rules) {
      this.access = Objects.requireNonNull(rules, "access");
      return this;
    }

    /**
     * Per-client limits for this route's requests, counted apart from other routes and replacing
     * the proxy's ({@code ProxyBuilder.clientLimits}) here; none by default.
     */
    public Builder clientLimits(ClientLimits limits) {
      this.clientLimits = Objects.requireNonNull(limits, "clientLimits");
      return this;
    }

    /** The route; a blank name is refused with {@link InvalidSettingException} (setting {@code name}). */
    public Route build() {
      return new Route(this);
    }
  }
}
