package io.gantry.proxy.upstream;

import io.gantry.proxy.validation.InvalidSettingException;
import java.net.URI;
import java.net.URISyntaxException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

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
 * }</pre>
 */
public final class Upstream {
  /** Default time allowed to open a connection to the upstream. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
  /** Default time a transfer may sit without a byte moving; there is no total timeout. */
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(5);

  private final String url;
  private final String scheme;
  private final String host;
  private final int port;
  private final String prefix;
  private final String base;
  private final Duration connectTimeout;
  private final Duration idleTimeout;
  private final KeyStore trustStore;

  private Upstream(Builder b) {
    URI uri;
    try {
      uri = new URI(b.url.trim());
    } catch (URISyntaxException e) {
      throw new InvalidSettingException("url", "'" + b.url + "' (expected: a URL such as http://nexus:8081/repository/docker-group/)");
    }
    String s = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!s.equals("http") && !s.equals("https")) {
      throw new InvalidSettingException("url", "'" + b.url + "' (expected: an http:// or https:// URL)");
    }
    String uriHost = uri.getHost();
    int uriPort = uri.getPort();
    if (uriHost == null && uri.getRawAuthority() != null) {
      // java.net.URI gives no host for names with '_' (docker-compose service names such as
      // nexus_1), which are fine on a private network: read the authority ourselves.
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("([A-Za-z0-9_.-]+)(?::([0-9]{1,5}))?")
          .matcher(uri.getRawAuthority());
      if (m.matches()) {
        uriHost = m.group(1);
        uriPort = m.group(2) == null ? -1 : Integer.parseInt(m.group(2));
      }
    }
    if (uriHost == null || uri.getRawUserInfo() != null) {
      throw new InvalidSettingException("url", "'" + b.url + "' (expected: http[s]://host[:port]/prefix/ without user info)");
    }
    if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
      throw new InvalidSettingException("url", "'" + b.url + "' (expected: no query or fragment)");
    }
    if (uriPort != -1 && (uriPort < 1 || uriPort > 65535)) {
      // java.net.URI accepts any number; 0 would silently become the default port.
      throw new InvalidSettingException("url", "'" + b.url + "' (expected: port 1-65535)");
    }
    String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
    if (!path.startsWith("/") || path.contains("/../") || path.contains("/./") || path.endsWith("/..")
        || path.endsWith("/.") || path.contains("//")) {
      throw new InvalidSettingException("url", "'" + b.url + "' (expected: a normalised path prefix)");
    }
    if (!path.endsWith("/")) {
      path = path + "/"; // a prefix is a directory: .../docker-group means .../docker-group/
    }
    if (b.connectTimeout.isNegative() || b.connectTimeout.isZero()) {
      throw new InvalidSettingException("connectTimeout", b.connectTimeout + " for " + b.url + " (expected: > 0)");
    }
    if (b.idleTimeout.isNegative() || b.idleTimeout.isZero()) {
      throw new InvalidSettingException("idleTimeout", b.idleTimeout + " for " + b.url + " (expected: > 0)");
    }
    this.scheme = s;
    this.host = uriHost.toLowerCase(Locale.ROOT);
    this.port = uriPort > 0 ? uriPort : (s.equals("https") ? 443 : 80);
    this.prefix = path;
    String authority = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    this.base = scheme + "://" + authority + ":" + port + prefix.substring(0, prefix.length() - 1);
    boolean defaultPort = port == (s.equals("https") ? 443 : 80);
    this.url = scheme + "://" + authority + (defaultPort ? "" : ":" + port) + prefix; // one form per upstream
    this.connectTimeout = b.connectTimeout;
    this.idleTimeout = b.idleTimeout;
    this.trustStore = b.trustStore;
  }

  /** An upstream with default timeouts and the JDK trust store; see {@link Builder#build()} for what is refused. */
  public static Upstream of(String url) {
    return builder(url).build();
  }

  public static Builder builder(String url) {
    return new Builder(Objects.requireNonNull(url, "url"));
  }

  /**
   * The URL to send a request to: the prefix followed by {@code normalizedPath} (which starts with
   * {@code /}) and the raw query, if any.
   */
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

  /** The path prefix, starting and ending with {@code /}. */
  public String prefix() {
    return prefix;
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

  /** The URL as written, normalised (lower-case scheme and host, prefix ending in {@code /}). */
  public String url() {
    return url;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Upstream u && u.url.equals(url) && u.connectTimeout.equals(connectTimeout)
        && u.idleTimeout.equals(idleTimeout) && Objects.equals(u.trustStore, trustStore);
  }

  @Override
  public int hashCode() {
    return url.hashCode();
  }

  @Override
  public String toString() {
    return url;
  }

  /** Builds an {@link Upstream}; validation happens in {@link #build()}. */
  public static final class Builder {
    private final String url;
    private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
    private Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;
    private KeyStore trustStore;

    private Builder(String url) {
      this.url = url;
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

    /**
     * The upstream; invalid values are refused with {@link InvalidSettingException} whose setting
     * is {@code url}, {@code connectTimeout} or {@code idleTimeout}.
     */
    public Upstream build() {
      return new Upstream(this);
    }
  }
}
