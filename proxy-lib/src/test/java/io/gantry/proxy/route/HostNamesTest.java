package io.gantry.proxy.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.gantry.proxy.validation.InvalidSettingException;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
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

  @ParameterizedTest(name = "{0} covers {1}: {2}")
  @CsvSource({
    "*.example.com, a.example.com, true",
    "*.example.com, A.Example.COM., true",
    "*.example.com, *.example.com, true",
    "*.example.com, *.Example.com., true",
    "*.example.com, example.com, false",
    "*.example.com, a.b.example.com, false",
    "*.example.com, *.b.example.com, false",
    "*.example.com, *.example.org, false",
    "a.example.com, *.example.com, false",
    "a.example.com b.example.com, *.example.com, false",
    "a.example.com *.example.com, b.example.com, true",
    "registry.example.com, registry.example.com, true",
    "registry.example.com, x.registry.example.com, false",
    "[::1], [::1], true",
  })
  void coversAgreesWithTheHostStrategy(String patterns, String hostOrPattern, boolean expected) {
    List<String> list = Arrays.asList(patterns.split(" "));
    assertEquals(expected, HostNames.covers(list, hostOrPattern));
    if (!hostOrPattern.startsWith("*")) {
      boolean routed = RouteStrategies.host(list.toArray(String[]::new))
          .matches(RequestView.builder().host(hostOrPattern).build());
      assertEquals(expected, routed, "routing disagrees");
    }
  }

  @Test
  void coversRefusesAnInvalidPattern() {
    InvalidSettingException e = assertThrows(InvalidSettingException.class, () -> HostNames.covers(List.of("a..b"), "a"));
    assertEquals("host", e.setting());
  }
}
