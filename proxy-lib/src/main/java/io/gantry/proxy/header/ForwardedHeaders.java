package io.gantry.proxy.header;

import io.gantry.proxy.address.AddressRanges;
import java.util.List;
import java.util.ListIterator;
import java.util.Set;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;

/**
 * The forwarding headers gantry sends upstream: {@code X-Forwarded-For/Proto/Host/Port}, {@code
 * X-Real-IP} and RFC 7239 {@code Forwarded}.
 *
 * <p>They are <em>replaced</em> from the real connection, so a value forged by a client never
 * reaches a backend (Nexus builds its URLs and its audit log from them). Only a request from one
 * of the trusted proxy addresses (gantry behind a load balancer) keeps the inbound values, and
 * gantry appends its own hop to {@code X-Forwarded-For} and {@code Forwarded}.
 *
 * <p>Single values only: {@code X-Forwarded-Host} is the {@code Host} the client sent (with its
 * port, exactly once) and {@code X-Forwarded-Port} the public port, so that a Jetty backend with
 * {@code ForwardedRequestCustomizer} computes exactly {@code https://public-host[:port]/...}
 * (comma-joined hosts and doubled ports are what broke Nexus behind other proxies).
 *
 * <pre>{@code
 * ForwardedHeaders forwarded = ForwardedHeaders.trusting("10.0.0.0/8");   // or ForwardedHeaders.NONE_TRUSTED
 * }</pre>
 */
public final class ForwardedHeaders {
  /** Headers gantry owns on the upstream request; inbound copies are dropped unless trusted. */
  public static final Set<String> OWNED = Set.of(
      "forwarded", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-forwarded-port",
      "x-forwarded-server", "x-forwarded-prefix", "x-forwarded-ssl", "x-real-ip", "x-proxied-https",
      "front-end-https", "x-url-scheme", "proxy-ssl-id", "proxy-auth-cert");

  private static final String X_REAL_IP = "X-Real-IP";

  /** Trusts nobody: every forwarding header is derived from the connection. */
  public static final ForwardedHeaders NONE_TRUSTED = new ForwardedHeaders(AddressRanges.NONE);

  private final AddressRanges trusted;

  private ForwardedHeaders(AddressRanges trusted) {
    this.trusted = trusted;
  }

  /**
   * Trusts the forwarding headers of requests coming from these addresses or CIDR blocks
   * ({@code 10.0.0.0/8}, {@code 192.168.1.7}, {@code fd00::/8}).
   */
  public static ForwardedHeaders trusting(List<String> cidrs) {
    return new ForwardedHeaders(AddressRanges.parse(cidrs, "trustedProxy"));
  }

  public static ForwardedHeaders trusting(String... cidrs) {
    return trusting(List.of(cidrs));
  }

  /** The client side of one request, as the connection saw it. */
  public record ClientConnection(String remoteAddress, boolean secure, String hostHeader, String localHost) {}

  /** Reads all values of an inbound header, comma-joined, or {@code null}. */
  @FunctionalInterface
  public interface InboundHeaders {
    String get(String name);
  }

  /** Whether the headers of a request from {@code remoteAddress} are kept. */
  public boolean isTrusted(String remoteAddress) {
    return trusted.contains(remoteAddress);
  }

  /** Puts the forwarding headers for {@code client} into {@code upstream}, replacing any there. */
  public void apply(ClientConnection client, InboundHeaders inbound, HttpFields.Mutable upstream) {
    boolean trust = isTrusted(client.remoteAddress());
    String remote = client.remoteAddress();
    if (remote != null && remote.startsWith("[") && remote.endsWith("]")) {
      remote = remote.substring(1, remote.length() - 1); // one form; node() adds RFC 7239's brackets
    }
    String proto = client.secure() ? "https" : "http";
    String host = client.hostHeader() == null || client.hostHeader().isBlank()
        ? client.localHost() : client.hostHeader().trim();
    String port = publicPort(host, client.secure());

    String inFor = trust ? inbound.get("X-Forwarded-For") : null;
    String inProto = trust ? inbound.get("X-Forwarded-Proto") : null;
    String inHost = trust ? inbound.get("X-Forwarded-Host") : null;
    String inPort = trust ? inbound.get("X-Forwarded-Port") : null;
    String inRealIp = trust ? inbound.get("X-Real-IP") : null;
    String inForwarded = trust ? inbound.get("Forwarded") : null;

    // One pass over the fields, then plain adds: this runs for every proxied request.
    for (ListIterator<HttpField> fields = upstream.listIterator(); fields.hasNext(); ) {
      if (OWNED.contains(fields.next().getLowerCaseName())) {
        fields.remove();
      }
    }
    upstream.add(HttpHeader.X_FORWARDED_FOR, inFor == null ? remote : inFor + ", " + remote);
    upstream.add(HttpHeader.X_FORWARDED_PROTO, inProto == null ? proto : inProto);
    if (host != null) {
      upstream.add(HttpHeader.X_FORWARDED_HOST, inHost == null ? host : inHost);
    }
    upstream.add(HttpHeader.X_FORWARDED_PORT, inPort == null ? port : inPort);
    upstream.add(X_REAL_IP, inRealIp == null ? firstOf(inFor, remote) : inRealIp);
    StringBuilder element = new StringBuilder(64).append("for=").append(node(remote));
    if (host != null) {
      element.append(";host=\"");
      if (host.indexOf('"') >= 0 || host.indexOf('\\') >= 0) {
        element.append(host.replace("\\", "\\\\").replace("\"", "\\\""));
      } else {
        element.append(host);
      }
      element.append('"');
    }
    element.append(";proto=").append(proto);
    upstream.add(HttpHeader.FORWARDED, inForwarded == null ? element.toString() : inForwarded + ", " + element);
  }

  /** The port of a Host header value, or the scheme's default. */
  static String publicPort(String host, boolean secure) {
    if (host != null) {
      int close = host.lastIndexOf(']');
      int colon = host.lastIndexOf(':');
      if (colon > close && colon < host.length() - 1) {
        return host.substring(colon + 1);
      }
    }
    return secure ? "443" : "80";
  }

  private static String firstOf(String list, String fallback) {
    if (list == null) {
      return fallback;
    }
    int comma = list.indexOf(',');
    return (comma < 0 ? list : list.substring(0, comma)).trim();
  }

  /** An RFC 7239 node: IPv6 literals are bracketed and quoted. */
  private static String node(String address) {
    return address.indexOf(':') >= 0 ? "\"[" + address + "]\"" : address;
  }
}
