package io.gantry.proxy.route;

import io.gantry.proxy.path.PathNormalizer;
import io.gantry.proxy.path.UnsafePathException;
import io.gantry.proxy.validation.InvalidSettingException;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What a {@link RouteStrategy} may look at: the request as gantry sees it after normalisation.
 *
 * <p>{@link #host()} is lower case without port or trailing dot, taken from the TLS SNI name when
 * the client sent one and from the {@code Host} header otherwise; {@link #path()} is the
 * normalised, still percent-encoded path (dot segments resolved, see {@link PathNormalizer}).
 */
public interface RequestView {

  /** The request method as sent, e.g. {@code GET}. */
  String method();

  /** The public host name: lower case, no port, no trailing dot; empty when unknown. */
  String host();

  /** The normalised path, always starting with {@code /}. */
  String path();

  /** The local port of the connector that accepted the request. */
  int localPort();

  /** The name of the listener (connector) that accepted the request, or {@code null}. */
  String listenerName();

  /** The first value of a request header (case-insensitive name), or {@code null}. */
  String header(String name);

  /** Whether the request arrived over TLS. */
  boolean secure();

  /**
   * The client's address: the connection's peer as an IP literal (never a forwarding header), or
   * {@code null} when unknown.
   */
  default String clientAddress() {
    return null;
  }

  /** A builder for a detached view: for tests, tools such as {@code gantry explain}, and benchmarks. */
  static Builder builder() {
    return new Builder();
  }

  /** Builds an immutable {@link RequestView}. */
  final class Builder {
    private String method = "GET";
    private String host = "";
    private String path = "/";
    private int localPort;
    private String listenerName;
    private boolean secure;
    private String clientAddress;
    private final Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);

    private Builder() {}

    public Builder method(String method) {
      this.method = Objects.requireNonNull(method, "method");
      return this;
    }

    /** Sets the host; it is normalised like a {@code Host} header (port and trailing dot dropped). */
    public Builder host(String host) {
      this.host = HostNames.fromAuthority(host);
      return this;
    }

    /**
     * Sets the path as a client would send it (percent-encoded); it is normalised as the proxy
     * normalises it before routing ({@link PathNormalizer}), so a strategy under test sees what it
     * sees in production.
     *
     * @throws InvalidSettingException (setting {@code path}) for a path the proxy refuses with 400
     */
    public Builder path(String path) {
      Objects.requireNonNull(path, "path");
      try {
        this.path = PathNormalizer.normalize(path);
      } catch (UnsafePathException e) {
        throw new InvalidSettingException("path", "'" + path + "' (expected: a path the proxy forwards: " + e.getMessage() + ")");
      }
      return this;
    }

    public Builder localPort(int localPort) {
      this.localPort = localPort;
      return this;
    }

    public Builder listenerName(String listenerName) {
      this.listenerName = listenerName;
      return this;
    }

    public Builder secure(boolean secure) {
      this.secure = secure;
      return this;
    }

    /** The client's address, an IP literal such as {@code 10.1.2.3}. */
    public Builder clientAddress(String clientAddress) {
      this.clientAddress = clientAddress;
      return this;
    }

    public Builder header(String name, String value) {
      headers.putIfAbsent(name.toLowerCase(Locale.ROOT), value);
      return this;
    }

    public RequestView build() {
      Map<String, String> copy = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
      copy.putAll(headers);
      return new DetachedRequestView(method, host, path, localPort, listenerName, secure, clientAddress, copy);
    }
  }
}
