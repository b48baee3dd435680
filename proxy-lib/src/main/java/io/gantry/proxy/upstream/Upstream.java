package io.gantry.proxy.upstream;

import io.gantry.proxy.validation.InvalidSettingException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Where a route sends its requests: a base URL whose path is the prefix every forwarded path is
 * put under, e.g. {@code http://nexus:8081/repository/docker-group/}. The forwarded path is the
 * prefix followed by the normalised public path ({@code /v2/x} becomes {@code
 * /repository/docker-group/v2/x}); the query string passes through unchanged.
 *
 * <pre>{@code
 * Upstream group = Upstream.of("http://nexus:8081/repository/docker-group/");
 * Upstream secure = Upstream.builder("https://nexus.internal/")
 *     .connectTimeout(Duration.ofSeconds(3))
 *     .trustStore(caKeyStore)      // default: the JDK trust store; verification is always on
 *     .build();
 * Upstream pair = Upstream.builder(List.of(                 // a pool: several instances of one service
 *         "http://nexus-a:8081/repository/docker-group/",
 *         "http://nexus-b:8081/repository/docker-group/"))
 *     .balance(Balance.LEAST_REQUESTS)
 *     .healthCheck(HealthCheck.of("/service/rest/v1/status"))
 *     .build();
 * }</pre>
 *
 * <p>With several instances, each request goes to one that is up ({@link Balance}); an instance
 * whose connections fail, time out or (for idempotent requests) answer one of {@link
 * Builder#failureStatuses} {@link Builder#ejectAfter} times in a row is left out for a back-off that
 * doubles while it keeps failing, and a request without a body that got no answer is tried on
 * another instance ({@link Builder#retries}). A {@link HealthCheck} takes instances out and brings
 * them back, a single instance too. While no instance is up, requests are answered 503 at once. As
 * in nginx, a single instance without a health check is never taken out: every request tries it.
 */
public final class Upstream {
  /** Default time allowed to open a connection to the upstream. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
  /** Default time a transfer may sit without a byte moving; there is no total timeout. */
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(5);
  /** Default consecutive failures that eject an instance. */
  public static final int DEFAULT_EJECT_AFTER = 2;
  /** Default first ejection; it doubles while the instance keeps failing, up to {@link #DEFAULT_MAX_EJECTION}. */
  public static final Duration DEFAULT_EJECTION = Duration.ofSeconds(2);
  /** Default longest ejection. */
  public static final Duration DEFAULT_MAX_EJECTION = Duration.ofSeconds(30);
  /** Default statuses that count as an instance's failure when answered to an idempotent request. */
  public static final Set<Integer> DEFAULT_FAILURE_STATUSES = Set.of(502, 503, 504);
  /** Default further instances a request that never reached an upstream is tried on. */
  public static final int DEFAULT_RETRIES = 1;

  private final List<Instance> instances;
  private final Instance first;
  private final Duration connectTimeout;
  private final Duration idleTimeout;
  private final KeyStore trustStore;
  private final Balance balance;
  private final boolean sticky;
  private final int ejectAfter;
  private final Duration ejection;
  private final Duration maxEjection;
  private final Set<Integer> failureStatuses;
  private final int retries;
  private final int maxConnections;
  private final HealthCheck healthCheck;

  private Upstream(Builder b) {
    List<Instance> list = UpstreamUrl.parseAll(b.urls).stream().map(Instance::new).toList();
    String url = list.get(0).url;
    positive("connectTimeout", b.connectTimeout, url);
    positive("idleTimeout", b.idleTimeout, url);
    positive("ejection", b.ejection, url);
    positive("maxEjection", b.maxEjection, url);
    if (b.maxEjection.compareTo(b.ejection) < 0) {
      throw new InvalidSettingException("maxEjection", b.maxEjection + " (expected: at least the first ejection, " + b.ejection + ")");
    }
    if (b.ejectAfter < 1) {
      throw new InvalidSettingException("ejectAfter", b.ejectAfter + " (expected: 1 or more consecutive failures)");
    }
    if (b.retries < 0 || b.retries > 10) {
      throw new InvalidSettingException("retries", b.retries + " (expected: 0 to 10)");
    }
    if (b.maxConnections < 0) {
      throw new InvalidSettingException("maxConnections", b.maxConnections + " (expected: 1 or more, or 0 for the proxy's default)");
    }
    for (int status : b.failureStatuses) {
      if (status < 500 || status > 599) {
        throw new InvalidSettingException("failureStatuses", status + " (expected: 5xx statuses)");
      }
    }
    this.instances = List.copyOf(list);
    this.first = instances.get(0);
    this.connectTimeout = b.connectTimeout;
    this.idleTimeout = b.idleTimeout;
    this.trustStore = b.trustStore;
    this.balance = b.balance;
    this.sticky = b.sticky;
    this.ejectAfter = b.ejectAfter;
    this.ejection = b.ejection;
    this.maxEjection = b.maxEjection;
    this.failureStatuses = Set.copyOf(b.failureStatuses);
    this.retries = b.retries;
    this.maxConnections = b.maxConnections;
    this.healthCheck = b.healthCheck;
  }

  private static void positive(String setting, Duration d, String url) {
    if (d.isNegative() || d.isZero()) {
      throw new InvalidSettingException(setting, d + " for " + url + " (expected: > 0)");
    }
  }

  /** An upstream with default timeouts and the JDK trust store; see {@link Builder#build()} for what is refused. */
  public static Upstream of(String url) {
    return builder(url).build();
  }

  /** A builder for one instance at {@code url}. */
  public static Builder builder(String url) {
    return new Builder(List.of(Objects.requireNonNull(url, "url")));
  }

  /** A builder for a pool of instances of one service: same scheme and path prefix, other hosts or ports. */
  public static Builder builder(List<String> urls) {
    return new Builder(List.copyOf(urls));
  }

  /**
   * The URL to send a request to on the first instance: the prefix followed by {@code
   * normalizedPath} (which starts with {@code /}) and the raw query, if any.
   */
  public String target(String normalizedPath, String rawQuery) {
    return first.target(normalizedPath, rawQuery);
  }

  /** The instances, in the order given; at least one. */
  public List<Instance> instances() {
    return instances;
  }

  /** {@code http} or {@code https}. */
  public String scheme() {
    return first.scheme;
  }

  /** The first instance's host name or address, lower case. */
  public String host() {
    return first.host;
  }

  /** The first instance's port, explicit or the scheme's default. */
  public int port() {
    return first.port;
  }

  /** The path prefix, starting and ending with {@code /}; the same on every instance. */
  public String prefix() {
    return first.prefix;
  }

  public Duration connectTimeout() {
    return connectTimeout;
  }

  public Duration idleTimeout() {
    return idleTimeout;
  }

  /** The trust store for an {@code https} upstream, or {@code null} for the JDK's. */
  public KeyStore trustStore() {
    return trustStore;
  }

  /** How a request picks among the instances that are up. */
  public Balance balance() {
    return balance;
  }

  /** Whether a client address keeps to one instance while that instance is up. */
  public boolean sticky() {
    return sticky;
  }

  /** Consecutive failures after which an instance is ejected. */
  public int ejectAfter() {
    return ejectAfter;
  }

  /** The first ejection; each further one in a row doubles, up to {@link #maxEjection()}. */
  public Duration ejection() {
    return ejection;
  }

  public Duration maxEjection() {
    return maxEjection;
  }

  /** Statuses that count as the instance's failure when answered to an idempotent request. */
  public Set<Integer> failureStatuses() {
    return failureStatuses;
  }

  /** How many other instances a request that never reached an upstream is tried on. */
  public int retries() {
    return retries;
  }

  /** Connections per instance, or 0 for the proxy's default. */
  public int maxConnections() {
    return maxConnections;
  }

  /** The active check, or {@code null} when only real traffic tells. */
  public HealthCheck healthCheck() {
    return healthCheck;
  }

  /** The first instance's URL as written, normalised (lower-case scheme and host, prefix ending in {@code /}). */
  public String url() {
    return first.url;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Upstream u && u.instances.equals(instances) && u.connectTimeout.equals(connectTimeout)
        && u.idleTimeout.equals(idleTimeout) && Objects.equals(u.trustStore, trustStore) && u.balance == balance
        && u.sticky == sticky && u.ejectAfter == ejectAfter && u.ejection.equals(ejection)
        && u.maxEjection.equals(maxEjection) && u.failureStatuses.equals(failureStatuses) && u.retries == retries
        && u.maxConnections == maxConnections && Objects.equals(u.healthCheck, healthCheck);
  }

  @Override
  public int hashCode() {
    return instances.hashCode();
  }

  /** The URL, or the URLs of a pool in brackets. */
  @Override
  public String toString() {
    return instances.size() == 1 ? first.url : instances.toString();
  }

  /** One instance of an upstream: where its requests go. */
  public static final class Instance {
    private final String url;
    private final String scheme;
    private final String host;
    private final int port;
    private final String prefix;
    private final String base;
    private final String origin;

    private Instance(UpstreamUrl parsed) {
      this.scheme = parsed.scheme();
      this.host = parsed.host();
      this.port = parsed.port();
      this.prefix = parsed.prefix();
      this.origin = parsed.origin();
      this.base = origin + prefix.substring(0, prefix.length() - 1);
      this.url = parsed.normalized();
    }

    /** The URL for {@code normalizedPath} (starting with {@code /}) and the raw query, if any, on this instance. */
    public String target(String normalizedPath, String rawQuery) {
      int length = base.length() + normalizedPath.length() + (rawQuery == null ? 0 : rawQuery.length() + 1);
      StringBuilder b = new StringBuilder(length).append(base).append(normalizedPath);
      if (rawQuery != null) {
        b.append('?').append(rawQuery);
      }
      return b.toString();
    }

    /** {@code http} or {@code https}. */
    public String scheme() {
      return scheme;
    }

    /** The host name or address, lower case. */
    public String host() {
      return host;
    }

    /** The port, explicit or the scheme's default. */
    public int port() {
      return port;
    }

    /** {@code scheme://host:port}: the server, which upstreams with other prefixes may share. */
    public String origin() {
      return origin;
    }

    /** The URL as written, normalised. */
    public String url() {
      return url;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Instance i && i.url.equals(url);
    }

    @Override
    public int hashCode() {
      return url.hashCode();
    }

    @Override
    public String toString() {
      return url;
    }
  }

  /** Builds an {@link Upstream}; validation happens in {@link #build()}. */
  public static final class Builder {
    private final List<String> urls;
    private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
    private Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;
    private KeyStore trustStore;
    private Balance balance = Balance.ROUND_ROBIN;
    private boolean sticky;
    private int ejectAfter = DEFAULT_EJECT_AFTER;
    private Duration ejection = DEFAULT_EJECTION;
    private Duration maxEjection = DEFAULT_MAX_EJECTION;
    private Set<Integer> failureStatuses = DEFAULT_FAILURE_STATUSES;
    private int retries = DEFAULT_RETRIES;
    private int maxConnections;
    private HealthCheck healthCheck;

    private Builder(List<String> urls) {
      this.urls = urls;
    }

    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = Objects.requireNonNull(timeout, "connectTimeout");
      return this;
    }

    public Builder idleTimeout(Duration timeout) {
      this.idleTimeout = Objects.requireNonNull(timeout, "idleTimeout");
      return this;
    }

    /** Trust anchors for an {@code https} upstream (e.g. a private CA); the JDK's by default. */
    public Builder trustStore(KeyStore trustStore) {
      this.trustStore = trustStore;
      return this;
    }

    /** How requests are spread over the instances that are up; round-robin by default. */
    public Builder balance(Balance balance) {
      this.balance = Objects.requireNonNull(balance, "balance");
      return this;
    }

    /** Keeps each client address on one instance while it is up (off by default). */
    public Builder sticky(boolean sticky) {
      this.sticky = sticky;
      return this;
    }

    /** Consecutive failures that eject an instance (default 2). */
    public Builder ejectAfter(int failures) {
      this.ejectAfter = failures;
      return this;
    }

    /** The first ejection (default 2 s) and the longest, which repeated ejections double up to (default 30 s). */
    public Builder ejection(Duration first, Duration longest) {
      this.ejection = Objects.requireNonNull(first, "ejection");
      this.maxEjection = Objects.requireNonNull(longest, "maxEjection");
      return this;
    }

    /** 5xx statuses that count as failures of the instance on idempotent requests (default 502, 503, 504; empty: none). */
    public Builder failureStatuses(Set<Integer> statuses) {
      this.failureStatuses = Objects.requireNonNull(statuses, "failureStatuses");
      return this;
    }

    /**
     * Further instances a request without a body is tried on when its connection failed before
     * any response (default 1; 0: never). A request with a body is never retried.
     */
    public Builder retries(int retries) {
      this.retries = retries;
      return this;
    }

    /** Connections per instance (default 0: the proxy's {@code maxConnectionsPerUpstream}). */
    public Builder maxConnections(int max) {
      this.maxConnections = max;
      return this;
    }

    /** An active check of each instance, or {@code null} for none (the default). */
    public Builder healthCheck(HealthCheck check) {
      this.healthCheck = check;
      return this;
    }

    /**
     * The upstream; invalid values are refused with {@link InvalidSettingException} naming the
     * setting ({@code url}, {@code connectTimeout}, {@code idleTimeout}, {@code ejectAfter}, {@code
     * ejection}, {@code maxEjection}, {@code failureStatuses}, {@code retries}, {@code
     * maxConnections}).
     */
    public Upstream build() {
      return new Upstream(this);
    }
  }
}
