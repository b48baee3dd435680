package io.gantry.proxy.header;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gantry.proxy.upstream.Upstream;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** URL-carrying response headers: no backend address, port or prefix reaches the client. */
class ResponseHeaderRewriterTest {
  private static final String HOSTED = "http://127.0.0.1:15103/repository/docker-hosted/";
  private static final String PUBLIC = "registry.example.com:5001";

  static Stream<Arguments> rows() {
    return Stream.of(
        // Location: absolute to the upstream
        row(HOSTED, "Location", "http://127.0.0.1:15103/repository/docker-hosted/v2/a/blobs/uploads/1?_state=x",
            "https://registry.example.com:5001/v2/a/blobs/uploads/1?_state=x"),
        row(HOSTED, "location", "HTTP://127.0.0.1:15103/repository/docker-hosted/v2/", "https://registry.example.com:5001/v2/"),
        row(HOSTED, "Location", "http://127.0.0.1:15103/repository/docker-hosted", "https://registry.example.com:5001/"),
        row(HOSTED, "Location", "http://127.0.0.1:15103/repository/docker-hosted?x=1", "https://registry.example.com:5001/?x=1"),
        row(HOSTED, "Location", "http://127.0.0.1:15103", "https://registry.example.com:5001/"),
        row(HOSTED, "Location", "http://127.0.0.1:15103/service/rest/v1/x", "https://registry.example.com:5001/service/rest/v1/x"),
        row(HOSTED, "Location", "//127.0.0.1:15103/repository/docker-hosted/v2/x", "//registry.example.com:5001/v2/x"),
        row(HOSTED, "Location", "  http://127.0.0.1:15103/repository/docker-hosted/v2/x  ", "https://registry.example.com:5001/v2/x"),
        // Location built by the backend from the forwarded public host
        row(HOSTED, "Location", "https://registry.example.com:5001/repository/docker-hosted/v2/a/blobs/uploads/2",
            "https://registry.example.com:5001/v2/a/blobs/uploads/2"),
        row(HOSTED, "Location", "https://REGISTRY.example.com:5001/repository/docker-hosted/v2/", "https://registry.example.com:5001/v2/"),
        // absolute path under the prefix
        row(HOSTED, "Location", "/repository/docker-hosted/v2/a/blobs/uploads/3", "/v2/a/blobs/uploads/3"),
        row(HOSTED, "Location", "/repository/docker-hosted", "/"),
        row(HOSTED, "Location", "/repository/docker-hosted-b/v2/", "/repository/docker-hosted-b/v2/"),
        // other hosts and relative references untouched
        row(HOSTED, "Location", "https://auth.docker.io/token?scope=x", "https://auth.docker.io/token?scope=x"),
        row(HOSTED, "Location", "https://s3.amazonaws.com/bucket/repository/docker-hosted/x",
            "https://s3.amazonaws.com/bucket/repository/docker-hosted/x"),
        row(HOSTED, "Location", "http://127.0.0.1:15104/repository/docker-hosted/v2/", "http://127.0.0.1:15104/repository/docker-hosted/v2/"),
        row(HOSTED, "Location", "uploads/4", "uploads/4"),
        row(HOSTED, "Location", "../x", "../x"),
        row(HOSTED, "Location", "?n=1", "?n=1"),
        // upstream on a default port: the backend writes it without one
        row("http://nexus/repository/docker-group/", "Location", "http://nexus/repository/docker-group/v2/x", "https://registry.example.com:5001/v2/x"),
        row("http://nexus/repository/docker-group/", "Location", "http://nexus:80/repository/docker-group/v2/x", "https://registry.example.com:5001/v2/x"),
        row("https://nexus.internal/repository/docker-group/", "Location", "https://nexus.internal/repository/docker-group/v2/x",
            "https://registry.example.com:5001/v2/x"),
        // IPv6 upstream
        row("http://[::1]:8081/repository/docker-hosted/", "Location", "http://[::1]:8081/repository/docker-hosted/v2/x",
            "https://registry.example.com:5001/v2/x"),
        // Content-Location
        row(HOSTED, "Content-Location", "http://127.0.0.1:15103/repository/docker-hosted/v2/a/manifests/1",
            "https://registry.example.com:5001/v2/a/manifests/1"),
        // Link: every <URI-reference>, params and quoted strings kept
        row(HOSTED, "Link", "</repository/docker-hosted/v2/_catalog?last=b&n=2>; rel=\"next\"",
            "</v2/_catalog?last=b&n=2>; rel=\"next\""),
        row(HOSTED, "Link", "<http://127.0.0.1:15103/repository/docker-hosted/v2/a>; rel=\"next\", <http://127.0.0.1:15103/repository/docker-hosted/v2/b>; rel=\"prev\"",
            "<https://registry.example.com:5001/v2/a>; rel=\"next\", <https://registry.example.com:5001/v2/b>; rel=\"prev\""),
        row(HOSTED, "Link", "<http://127.0.0.1:15103/repository/docker-hosted/v2/a>; title=\"a <b> \\\"c\\\" <d\"; rel=next, </repository/docker-hosted/v2/e>",
            "<https://registry.example.com:5001/v2/a>; title=\"a <b> \\\"c\\\" <d\"; rel=next, </v2/e>"),
        row(HOSTED, "Link", "<https://example.org/x>; rel=help", "<https://example.org/x>; rel=help"),
        // WWW-Authenticate: realm rewritten, other params kept
        row("http://127.0.0.1:15103/repository/docker-secure/", "WWW-Authenticate",
            "Bearer realm=\"http://127.0.0.1:15103/repository/docker-secure/v2/token\",service=\"x\",scope=\"repository:a:pull\"",
            "Bearer realm=\"https://registry.example.com:5001/v2/token\",service=\"x\",scope=\"repository:a:pull\""),
        row(HOSTED, "WWW-Authenticate",
            "Bearer realm=\"http://127.0.0.1:15103/repository/docker-hosted/v2/token\", service=\"realm\", Basic realm=\"Sonatype Nexus Repository Manager\"",
            "Bearer realm=\"https://registry.example.com:5001/v2/token\", service=\"realm\", Basic realm=\"Sonatype Nexus Repository Manager\""),
        row(HOSTED, "WWW-Authenticate", "Basic Realm = \"/repository/docker-hosted/v2/token\"", "Basic Realm = \"/v2/token\""),
        row(HOSTED, "WWW-Authenticate", "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\"",
            "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\""),
        // Refresh
        row(HOSTED, "Refresh", "5; url=http://127.0.0.1:15103/repository/docker-hosted/x", "5; url=https://registry.example.com:5001/x"),
        row(HOSTED, "Refresh", "0;URL='http://127.0.0.1:15103/repository/docker-hosted/x'", "0;URL='https://registry.example.com:5001/x'"),
        row(HOSTED, "Refresh", "0; url=\"/repository/docker-hosted/x\"", "0; url=\"/x\""),
        row(HOSTED, "Refresh", "5", "5"),
        // prefix '/' (the UI upstream): only the authority changes
        row("http://127.0.0.1:8081/", "Location", "http://127.0.0.1:8081/#browse/browse", "https://registry.example.com:5001/#browse/browse"),
        row("http://127.0.0.1:8081/", "Location", "/service/rest/v1/status", "/service/rest/v1/status"),
        row("http://127.0.0.1:8081/", "Location", "http://127.0.0.1:8081/repository/docker-hosted/v2/",
            "https://registry.example.com:5001/repository/docker-hosted/v2/"),
        // a header gantry does not rewrite
        row(HOSTED, "Content-Type", "http://127.0.0.1:15103/repository/docker-hosted/", "http://127.0.0.1:15103/repository/docker-hosted/"));
  }

  private static Arguments row(String upstream, String name, String value, String expected) {
    return Arguments.of(upstream, name, value, expected);
  }

  @ParameterizedTest(name = "{1}: {2}")
  @MethodSource("rows")
  void rewrites(String upstreamUrl, String name, String value, String expected) {
    Upstream upstream = Upstream.of(upstreamUrl);
    String out = new ResponseHeaderRewriter(upstream).rewrite(name, value, "https", PUBLIC);
    assertEquals(expected, out);
    if (ResponseHeaderRewriter.rewrites(name) && value.contains(upstream.host())) {
      String lower = out.toLowerCase(Locale.ROOT);
      assertFalse(lower.contains(upstream.host() + ":" + upstream.port()), "upstream authority left in " + out);
      if (upstream.prefix().length() > 1) {
        assertFalse(lower.contains("://" + PUBLIC + upstream.prefix()), "prefix left in " + out);
        assertFalse(lower.contains(upstream.host() + "/"), "upstream host left in " + out);
      }
    }
  }

  @ParameterizedTest(name = "public {0}: {1} -> {2}")
  @CsvSource({
      // a public host without a port: the backend may add the scheme's default
      "registry.example.com, https://registry.example.com:443/repository/docker-hosted/v2/, https://registry.example.com/v2/",
      "registry.example.com, https://registry.example.com/repository/docker-hosted/v2/, https://registry.example.com/v2/",
      "registry.example.com, https://registry.example.com:8443/repository/docker-hosted/v2/, https://registry.example.com:8443/repository/docker-hosted/v2/",
      "registry.example.com:5001, https://registry.example.com:5002/repository/docker-hosted/v2/, https://registry.example.com:5002/repository/docker-hosted/v2/",
  })
  void publicHostWithOrWithoutDefaultPort(String publicAuthority, String value, String expected) {
    assertEquals(expected, new ResponseHeaderRewriter(Upstream.of(HOSTED)).rewrite("Location", value, "https", publicAuthority));
  }

  @Test
  void nullStaysNullAndNamesAreKnown() {
    assertNull(new ResponseHeaderRewriter(Upstream.of(HOSTED)).rewrite("Location", null, "https", PUBLIC));
    for (String n : new String[] {"Location", "content-location", "LINK", "Refresh", "WWW-Authenticate"}) {
      assertTrue(ResponseHeaderRewriter.rewrites(n), n);
    }
    for (String n : new String[] {"Content-Type", "Set-Cookie", "Locations", "Server"}) {
      assertFalse(ResponseHeaderRewriter.rewrites(n), n);
    }
  }

  @Test
  void thePublicHostWithoutItsPortIsStillOurs() {
    ResponseHeaderRewriter r = new ResponseHeaderRewriter(Upstream.of(HOSTED));
    assertEquals("https://" + PUBLIC + "/v2/x/blobs/uploads/1",
        r.rewrite("Location", "https://registry.example.com/repository/docker-hosted/v2/x/blobs/uploads/1", "https", PUBLIC));
  }
}
