package io.gantry.proxy.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gantry.proxy.validation.InvalidSettingException;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Upstream URL validation, normalisation and target building. */
class UpstreamTest {

  @ParameterizedTest(name = "{0}")
  @CsvSource({
      "http://nexus:8081/repository/docker-group/, http, nexus, 8081, /repository/docker-group/, http://nexus:8081/repository/docker-group/",
      "http://nexus:8081/repository/docker-group, http, nexus, 8081, /repository/docker-group/, http://nexus:8081/repository/docker-group/",
      "HTTP://Nexus.Internal:8081/Repo/, http, nexus.internal, 8081, /Repo/, http://nexus.internal:8081/Repo/",
      "http://nexus, http, nexus, 80, /, http://nexus/",
      "http://nexus/, http, nexus, 80, /, http://nexus/",
      "https://nexus, https, nexus, 443, /, https://nexus/",
      "https://nexus:8443/x, https, nexus, 8443, /x/, https://nexus:8443/x/",
      "http://127.0.0.1:15103/repository/docker-secure/, http, 127.0.0.1, 15103, /repository/docker-secure/, http://127.0.0.1:15103/repository/docker-secure/",
      "http://[::1]:8081/r/, http, [::1], 8081, /r/, http://[::1]:8081/r/",
      "' http://nexus:8081/ ', http, nexus, 8081, /, http://nexus:8081/",
  })
  void validUrlsAreNormalised(String url, String scheme, String host, int port, String prefix, String normalised) {
    Upstream u = Upstream.of(url);
    assertEquals(scheme, u.scheme());
    assertEquals(host, u.host());
    assertEquals(port, u.port());
    assertEquals(prefix, u.prefix());
    assertEquals(normalised, u.url());
    assertEquals(normalised, u.toString());
  }

  @ParameterizedTest(name = "[{index}] \"{0}\"")
  @ValueSource(strings = {
      "", "nexus:8081", "/repository/x/", "ftp://nexus/", "file:///etc/passwd", "http://", "http:///x",
      "http://user:pw@nexus/", "http://nexus/?x=1", "http://nexus/#f", "http://nexus/a/../b/",
      "http://nexus/a/./b/", "http://nexus/a/..", "http://nexus/a/.", "http://nexus//a/", "http://nexus:99999/",
      "http://nexus:0/", "http://nexus:65536/", "http://ne xus/", "http://nexus/a b/",
  })
  void invalidUrlsAreRejected(String url) {
    InvalidSettingException e = assertThrows(InvalidSettingException.class, () -> Upstream.of(url));
    assertEquals("url", e.setting());
    assertTrue(e.getMessage().startsWith("url: '" + url + "' (expected: "), e.getMessage());
  }

  @Test
  void timeoutsMustBePositive() {
    InvalidSettingException connect = assertThrows(InvalidSettingException.class,
        () -> Upstream.builder("http://n/").connectTimeout(Duration.ZERO).build());
    assertEquals("connectTimeout", connect.setting());
    assertEquals("PT0S for http://n/ (expected: > 0)", connect.problem());
    InvalidSettingException idle = assertThrows(InvalidSettingException.class,
        () -> Upstream.builder("http://n/").idleTimeout(Duration.ofSeconds(-1)).build());
    assertEquals("idleTimeout", idle.setting());
    Upstream u = Upstream.builder("http://n/").connectTimeout(Duration.ofSeconds(3)).build();
    assertEquals(Duration.ofSeconds(3), u.connectTimeout());
    assertEquals(Upstream.DEFAULT_IDLE_TIMEOUT, u.idleTimeout());
  }

  @ParameterizedTest(name = "{0} + {1} ? {2}")
  @CsvSource(delimiter = '|', value = {
      "http://nexus:8081/repository/docker-group/ | /v2/                  |                         | http://nexus:8081/repository/docker-group/v2/",
      "http://nexus:8081/repository/docker-group  | /v2/x/manifests/1     |                         | http://nexus:8081/repository/docker-group/v2/x/manifests/1",
      "http://nexus:8081/repository/docker-group/ | /                     |                         | http://nexus:8081/repository/docker-group/",
      "http://nexus:8081/repository/docker-group/ | /v2/_catalog          | n=2&last=a%2Fb          | http://nexus:8081/repository/docker-group/v2/_catalog?n=2&last=a%2Fb",
      "http://nexus:8081/repository/docker-group/ | /v2/x                 | a=%zz&b=..%2f&&c        | http://nexus:8081/repository/docker-group/v2/x?a=%zz&b=..%2f&&c",
      "http://nexus:8081/repository/docker-group/ | /v2/x                 | ''                      | http://nexus:8081/repository/docker-group/v2/x?",
      "http://nexus/                              | /service/rest/v1/x    |                         | http://nexus:80/service/rest/v1/x",
      "https://nexus                              | /x                    | q                       | https://nexus:443/x?q",
      "http://[::1]:8081/r                        | /v2/                  |                         | http://[::1]:8081/r/v2/",
  })
  void targetIsPrefixPlusPathAndTheRawQuery(String url, String path, String query, String expected) {
    assertEquals(expected, Upstream.of(url).target(path, query));
  }

  @Test
  void equalityByNormalisedUrlAndSettings() {
    assertEquals(Upstream.of("http://Nexus:8081/r"), Upstream.of("http://nexus:8081/r/"));
    assertEquals(Upstream.of("http://nexus:8081/r").hashCode(), Upstream.of("http://nexus:8081/r/").hashCode());
    assertEquals(Upstream.of("http://nexus:80/r/"), Upstream.of("http://nexus/r/"));
    assertEquals(Upstream.of("https://nexus:443/"), Upstream.of("https://nexus/"));
    assertNotEquals(Upstream.of("http://nexus:8081/r/"), Upstream.of("http://nexus:8082/r/"));
    assertNotEquals(Upstream.of("http://n/"), Upstream.builder("http://n/").connectTimeout(Duration.ofSeconds(1)).build());
  }

  @Test
  void dockerComposeServiceNamesWithUnderscoresAreHosts() {
    Upstream u = Upstream.of("http://nexus_1:8081/repository/docker-group/");
    assertEquals("nexus_1", u.host());
    assertEquals(8081, u.port());
    assertEquals("http://nexus_1:8081/repository/docker-group/v2/?n=1", u.target("/v2/", "n=1"));
    assertThrows(IllegalArgumentException.class, () -> Upstream.of("http://nexus_1:99999/"));
  }
}
