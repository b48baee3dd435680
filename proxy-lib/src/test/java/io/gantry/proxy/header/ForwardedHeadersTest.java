package io.gantry.proxy.header;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gantry.proxy.header.ForwardedHeaders.ClientConnection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.eclipse.jetty.http.HttpFields;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Forwarding headers are derived from the connection unless the peer is a trusted proxy. */
class ForwardedHeadersTest {
  private static final Map<String, String> FORGED = forged();

  private static Map<String, String> forged() {
    Map<String, String> m = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    m.put("X-Forwarded-For", "6.6.6.6");
    m.put("X-Forwarded-Proto", "http");
    m.put("X-Forwarded-Host", "evil.example");
    m.put("X-Forwarded-Port", "1");
    m.put("X-Real-IP", "6.6.6.7");
    m.put("Forwarded", "for=6.6.6.8;host=evil.example;proto=http");
    return m;
  }

  /** The upstream request's fields after apply(), with forged copies already on them. */
  private static HttpFields apply(ForwardedHeaders f, String remote, boolean secure, String hostHeader) {
    HttpFields.Mutable upstream = HttpFields.build();
    FORGED.forEach(upstream::add);
    upstream.add("X-Forwarded-Prefix", "/evil");
    upstream.add("X-Forwarded-Ssl", "on");
    upstream.add("Accept", "application/json");
    f.apply(new ClientConnection(remote, secure, hostHeader, "gantry.local"), FORGED::get, upstream);
    return upstream;
  }

  @ParameterizedTest(name = "{0} secure={1} Host: {2}")
  @CsvSource(delimiter = '|', value = {
      "203.0.113.9 | true  | registry.example.com:5001 | https | registry.example.com:5001 | 5001 | for=203.0.113.9;host=\"registry.example.com:5001\";proto=https",
      "203.0.113.9 | true  | registry.example.com      | https | registry.example.com      | 443  | for=203.0.113.9;host=\"registry.example.com\";proto=https",
      "203.0.113.9 | false | registry.example.com      | http  | registry.example.com      | 80   | for=203.0.113.9;host=\"registry.example.com\";proto=http",
      "203.0.113.9 | false | registry.example.com:8080 | http  | registry.example.com:8080 | 8080 | for=203.0.113.9;host=\"registry.example.com:8080\";proto=http",
      "203.0.113.9 | true  | [2001:db8::1]:5001        | https | [2001:db8::1]:5001        | 5001 | for=203.0.113.9;host=\"[2001:db8::1]:5001\";proto=https",
      "203.0.113.9 | true  | [2001:db8::1]             | https | [2001:db8::1]             | 443  | for=203.0.113.9;host=\"[2001:db8::1]\";proto=https",
      "203.0.113.9 | true  | ' registry.example.com '  | https | registry.example.com      | 443  | for=203.0.113.9;host=\"registry.example.com\";proto=https",
      "203.0.113.9 | true  |                           | https | gantry.local              | 443  | for=203.0.113.9;host=\"gantry.local\";proto=https",
      "2001:db8::7 | true  | registry.example.com:5001 | https | registry.example.com:5001 | 5001 | for=\"[2001:db8::7]\";host=\"registry.example.com:5001\";proto=https",
  })
  void untrustedClientGetsValuesFromTheConnection(String remote, boolean secure, String host, String proto,
      String forwardedHost, String port, String forwarded) {
    HttpFields out = apply(ForwardedHeaders.NONE_TRUSTED, remote, secure, host);
    assertEquals(List.of(remote), out.getValuesList("X-Forwarded-For"));
    assertEquals(List.of(proto), out.getValuesList("X-Forwarded-Proto"));
    assertEquals(List.of(forwardedHost), out.getValuesList("X-Forwarded-Host"));
    assertEquals(List.of(port), out.getValuesList("X-Forwarded-Port"));
    assertEquals(List.of(remote), out.getValuesList("X-Real-IP"));
    assertEquals(List.of(forwarded), out.getValuesList("Forwarded"));
    assertFalse(out.contains("X-Forwarded-Prefix"));
    assertFalse(out.contains("X-Forwarded-Ssl"));
    assertEquals("application/json", out.get("Accept"));
  }

  @ParameterizedTest(name = "{0} from {1}: trusted={2}")
  @CsvSource({
      "10.0.0.0/8, 10.1.2.3, true",
      "10.0.0.0/8, 11.0.0.1, false",
      "10.0.0.0/8, 2001:db8::1, false",
      "192.168.1.7, 192.168.1.7, true",
      "192.168.1.7/32, 192.168.1.7, true",
      "192.168.1.7/32, 192.168.1.8, false",
      "172.16.0.0/12, 172.31.255.255, true",
      "172.16.0.0/12, 172.32.0.0, false",
      "0.0.0.0/0, 8.8.8.8, true",
      "fd00::/8, fd12:3456::1, true",
      "fd00::/8, fe80::1, false",
      "fd00::/8, [fd12::1], true",
      "::1, 0:0:0:0:0:0:0:1, true",
      "::/0, 2001:db8::1, true",
      "::/0, 10.0.0.1, false",
      "10.0.0.0/8, ::ffff:10.0.0.1, true",
      "10.0.0.0/8, not-an-ip, false",
      "10.0.0.0/8, '', false",
  })
  void trustedCidrs(String cidr, String remote, boolean expected) {
    assertEquals(expected, ForwardedHeaders.trusting(cidr).isTrusted(remote));
  }

  @Test
  void trustedProxyKeepsInboundValuesAndAppendsItsHop() {
    HttpFields out = apply(ForwardedHeaders.trusting("10.0.0.0/8", "fd00::/8"), "10.0.0.5", true, "registry.example.com");
    assertEquals("6.6.6.6, 10.0.0.5", out.get("X-Forwarded-For"));
    assertEquals("http", out.get("X-Forwarded-Proto"));
    assertEquals("evil.example", out.get("X-Forwarded-Host"));
    assertEquals("1", out.get("X-Forwarded-Port"));
    assertEquals("6.6.6.7", out.get("X-Real-IP"));
    assertEquals("for=6.6.6.8;host=evil.example;proto=http, for=10.0.0.5;host=\"registry.example.com\";proto=https",
        out.get("Forwarded"));
    assertEquals(1, out.getValuesList("X-Forwarded-For").size());
  }

  @Test
  void trustedIpv6ProxyIsQuotedAndBracketedInForwarded() {
    HttpFields.Mutable upstream = HttpFields.build();
    ForwardedHeaders.trusting("fd00::/8").apply(
        new ClientConnection("fd00::5", true, "r.example.com", null), name -> null, upstream);
    assertEquals("for=\"[fd00::5]\";host=\"r.example.com\";proto=https", upstream.get("Forwarded"));
    assertEquals("fd00::5", upstream.get("X-Forwarded-For"));
    assertEquals("fd00::5", upstream.get("X-Real-IP"));
  }

  @ParameterizedTest(name = "remote {0}")
  @ValueSource(strings = {"[2001:db8::7]", "2001:db8::7"})
  void bracketedOrBareIpv6RemoteGivesOneForwardedNode(String remote) {
    HttpFields out = apply(ForwardedHeaders.NONE_TRUSTED, remote, true, "r.example.com");
    assertTrue(out.get("Forwarded").startsWith("for=\"[2001:db8::7]\";"), out.get("Forwarded"));
  }

  @ParameterizedTest(name = "\"{0}\"")
  @ValueSource(strings = {
      "", "foo", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/x", "10.0.0.0/", "::/129", "256.0.0.1",
      "10/8", "10.0.0/24", "1.2.3.4.5", "0x0a.0.0.1/8", "10.0.0.1 /8", "1e.2.3.4",
  })
  void invalidCidrsAreRejected(String cidr) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ForwardedHeaders.trusting(cidr));
    assertTrue(e.getMessage().startsWith("trustedProxy: "), e.getMessage());
  }
}
