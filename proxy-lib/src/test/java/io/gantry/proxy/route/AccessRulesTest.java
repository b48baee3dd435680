package io.gantry.proxy.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.gantry.proxy.validation.InvalidSettingException;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Client address and path rules, with hostile paths and invalid settings. */
class AccessRulesTest {
  private static final AccessRules OFFICE = AccessRules.builder()
      .allowFrom("10.0.0.0/8", "fd00::/8", "127.0.0.1").denyFrom("10.9.0.0/16").build();
  private static final AccessRules NEXUS = AccessRules.builder()
      .denyPaths("/service/rest/v1/script", "/service/rest/v1/security/", "/service/rest/internal/").build();

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '|', nullValues = "-", value = {
      "10.1.2.3          | -",
      "127.0.0.1         | -",
      "fd00::1           | -",
      "[fd00::1]         | -",
      "::ffff:10.1.2.3   | -",
      "10.9.1.1          | deny-from",
      "127.0.0.2         | allow-from",
      "192.168.1.1       | allow-from",
      "fe80::1           | allow-from",
      "-                 | allow-from/deny-from",
      "localhost         | allow-from/deny-from",
      "10                | allow-from/deny-from",
  })
  void addresses(String client, String rule) {
    AccessRules.Denial d = OFFICE.check(client, "/v2/");
    if (rule == null) {
      assertNull(d);
    } else {
      assertEquals(rule, d.rule());
    }
  }

  /** Paths as a client sends them, normalised as the proxy does before the rules see them. */
  @ParameterizedTest(name = "{0} -> denied {1}")
  @CsvSource(delimiter = '|', value = {
      "/service/rest/v1/script                    | true",
      "/service/rest/v1/script/                   | true",
      "/service/rest/v1/script/x/run              | true",
      "/service/rest/v1/../v1/script              | true",
      "/service/rest/v1/%2e/script                | true",
      "/service/rest/v1/%2E%2E/v1/script          | true",
      "//service//rest/v1///script                | true",
      "/service/rest/v1/%73cript                  | true",
      "/service/rest/v1/script;jsessionid=1       | true",
      "/service/rest/v1/script;x/run              | true",
      "/service/rest/v1%2Fscript                  | true",
      "/SERVICE/rest/V1/Script                    | true",
      "/service/rest/v1/security/users            | true",
      "/service/rest/v1/security                  | true",
      "/service/rest/internal/ui/user             | true",
      "/service/rest/v1/scripts                   | false",
      "/service/rest/v1/scripting/x               | false",
      "/service/rest/v1/status                    | false",
      "/service/rest/v1/securityx                 | false",
      "/v2/library/script/manifests/latest        | false",
      "/repository/raw/service/rest/v1/script     | false",
  })
  void paths(String raw, boolean denied) {
    String path = RequestView.builder().path(raw).build().path();
    AccessRules.Denial d = NEXUS.check("203.0.113.9", path);
    assertEquals(denied, d != null, path);
    if (denied) {
      assertEquals("deny-paths", d.rule());
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "allowFrom | 10.0.0.0/33",
      "allowFrom | 10.0.0/8",
      "allowFrom | example.com",
      "allowFrom | 10.0.0.0/x",
      "denyFrom  | ::1/129",
      "denyFrom  | ''",
      "denyPaths | service/rest",
      "denyPaths | /service/../x",
      "denyPaths | /a//b",
      "denyPaths | /a?b",
      "denyPaths | /a/%zz",
  })
  void invalidSettingsAreRefusedAtBuildTime(String setting, String value) {
    AccessRules.Builder b = AccessRules.builder();
    InvalidSettingException e = assertThrows(InvalidSettingException.class, () -> {
      switch (setting) {
        case "allowFrom" -> b.allowFrom(List.of(value));
        case "denyFrom" -> b.denyFrom(List.of(value));
        default -> b.denyPaths(List.of(value));
      }
    });
    assertEquals(setting, e.setting());
  }

  @org.junit.jupiter.api.Test
  void printsTheRulesAndComparesByValue() {
    assertEquals("allow-from 10.0.0.0/8, fd00::/8, 127.0.0.1; deny-from 10.9.0.0/16", OFFICE.toString());
    assertEquals("deny-paths /service/rest/v1/script/, /service/rest/v1/security/, /service/rest/internal/", NEXUS.toString());
    assertEquals(NEXUS, AccessRules.builder()
        .denyPaths("/service/rest/v1/script/", "/service/rest/v1/security", "/service/rest/internal").build());
    assertEquals(AccessRules.NONE, AccessRules.builder().build());
  }
}
