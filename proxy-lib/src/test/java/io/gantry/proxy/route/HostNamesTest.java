package io.gantry.proxy.route;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HostNamesTest {
  @ParameterizedTest(name = "{0}:{1} secure={2} -> {3}")
  @CsvSource(nullValues = "null", value = {
    "registry.example.com, 443, true, registry.example.com",
    "registry.example.com, 80, false, registry.example.com",
    "registry.example.com, 8443, true, registry.example.com:8443",
    "registry.example.com, 443, false, registry.example.com:443",
    "registry.example.com, -1, true, registry.example.com",
    "::1, 8443, true, [::1]:8443",
    "[::1], 443, true, [::1]",
    "null, 443, true, null",
    "'', 443, true, null",
  })
  void authorityFromHostAndPort(String host, int port, boolean secure, String expected) {
    assertEquals(expected, HostNames.authority(host, port, secure));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "Registry.Example.COM:8443, registry.example.com",
    "[::1]:8443, [::1]",
    "nexus, nexus",
  })
  void routingHostFromAuthority(String authority, String expected) {
    assertEquals(expected, HostNames.fromAuthority(authority));
  }
}
