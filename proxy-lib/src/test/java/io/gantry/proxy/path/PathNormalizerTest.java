package io.gantry.proxy.path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Table-driven tests of {@link PathNormalizer}: what passes, what it becomes, what is refused, and
 * a property test against the backend model of the acceptance harness (lib/pathcheck.py).
 */
class PathNormalizerTest {
  private static final String PREFIX = "/repository/docker-hosted";

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
      // already normal: returned unchanged
      "/                                   | /",
      "/v2/                                | /v2/",
      "/v2                                 | /v2",
      "/v2/_catalog                        | /v2/_catalog",
      "/v2/library/alpine/manifests/3.19   | /v2/library/alpine/manifests/3.19",
      "/v2/a/blobs/sha256:0123abcdef       | /v2/a/blobs/sha256:0123abcdef",
      "/v2/a/b/c/d/e/                      | /v2/a/b/c/d/e/",
      "/service/rest/v1/status             | /service/rest/v1/status",
      "/a.b/c..d/e.                        | /a.b/c..d/e.",
      "/a/...                              | /a/...",
      "/~user/x-y_z!$&'()*+,=@:            | /~user/x-y_z!$&'()*+,=@:",
      // dot segments
      "/a/./b                              | /a/b",
      "/a/b/../c                           | /a/c",
      "/a/b/..                             | /a/",
      "/a/b/../                            | /a/",
      "/a/.                                | /a/",
      "/./a                                | /a",
      "/a/..                               | /",
      "/v2/x/../../v2/y                    | /v2/y",
      // percent-encoded dots
      "/a/%2e/b                            | /a/b",
      "/a/%2E/b                            | /a/b",
      "/a/b/%2e%2e/c                       | /a/c",
      "/a/b/%2E%2E/c                       | /a/c",
      "/a/b/.%2e/c                         | /a/c",
      "/a/b/%2e./c                         | /a/c",
      "/a/b/%2e%2e                         | /a/",
      // ;params read the way Jetty and Tomcat read them
      "/a/b/..;/c                          | /a/c",
      "/a/b/..;x/c                         | /a/c",
      "/a/.;/b                             | /a/b",
      "/a/.;x/b                            | /a/b",
      "/a/b/%2e%2e;x/c                     | /a/c",
      "/a;x/b                              | /a;x/b",
      "/a/b;jsessionid=1                   | /a/b;jsessionid=1",
      // empty segments collapsed, trailing slash kept
      "//                                  | /",
      "//a//b//                            | /a/b/",
      "/a///b                              | /a/b",
      // escapes: unreserved decoded, others upper-case hex (RFC 3986 6.2.2)
      "/%76%32/                            | /v2/",
      "/%41%7a%30%2d%5f%7e                 | /Az0-_~",
      "/a%20b                              | /a%20b",
      "/a%c3%a9                            | /a%C3%A9",
      "/a%3bb                              | /a%3Bb",
      "/a%25b                              | /a%25b",
      "/a%2fb                              | /a%2Fb",
      "/a%2Fb/c                            | /a%2Fb/c",
      "/%3F%23                             | /%3F%23",
      // non-ASCII and other raw characters are percent-encoded as UTF-8
      "/é                                  | /%C3%A9",
      "/日本                               | /%E6%97%A5%E6%9C%AC",
      "/a b                                | /a%20b",
      "/😀                                 | /%F0%9F%98%80",
      "/a/😀/b                             | /a/%F0%9F%98%80/b",
  })
  void normalizes(String raw, String expected) throws UnsafePathException {
    assertEquals(expected, PathNormalizer.normalize(raw));
  }

  /** Rows whose characters a CSV table cannot hold. */
  static Stream<Arguments> specialCharacters() {
    return Stream.of(
        Arguments.of("/a\"<>^`{|}", "/a%22%3C%3E%5E%60%7B%7C%7D"),
        Arguments.of("/a\u00e9", "/a%C3%A9"),
        Arguments.of("/a\u00a0", "/a%C2%A0"));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource("specialCharacters")
  void encodesSpecialCharacters(String raw, String expected) throws UnsafePathException {
    assertEquals(expected, PathNormalizer.normalize(raw));
  }

  @ParameterizedTest(name = "{0} refused")
  @ValueSource(strings = {
      // climbing above '/'
      "/..", "/../", "/../x", "/v2/../../x", "/a/b/../../..", "/%2e%2e/x", "/%2E%2E/x", "/.%2e/x",
      "/..;/x", "/..;x/x", "/%2e%2e;x/x", "/./../x",
      // double encoding
      "/%252e%252e/x", "/a/%252e", "/a%252fb", "/a%255c", "/%2500",
      // double encoding assembled from unreserved escapes: %25 then %32 %65 is %252e once normalised
      "/a/%25%32%65%25%32%65/x", "/a/%25%32%66",
      // backslash, raw and encoded
      "/a\\b", "/..\\x", "/a%5cb", "/a%5Cb", "/v2/..%5c..%5cx",
      // encoded slashes that hide dot segments
      "/a/..%2f..", "/a/..%2F..%2Fx", "/a/%2e%2e%2fx", "/a/x%2f..", "/a/x%2f.", "/a/%2e%2fb", "/a/x%2f..;y",
      "/a/..%3bx", "/a/..%3B",
      // control characters
      "/a%00", "/a%00b", "/a%0a", "/a%0D%0A", "/a%1f", "/a%7f", "/a\u0000b", "/a\nb", "/a\tb", "/a\u007f",
      // malformed escapes
      "/a%zz", "/a%", "/a%2", "/%2/b", "/a%g0", "/a%0g",
      // not a path
      "a/b", "*", "http://x/",
  })
  void refuses(String raw) {
    assertThrows(UnsafePathException.class, () -> PathNormalizer.normalize(raw));
  }

  @ParameterizedTest
  @ValueSource(strings = {"/", "/v2/", "/a/b", "/a/b/"})
  void normalFormIsAFixedPoint(String path) throws UnsafePathException {
    assertEquals(path, PathNormalizer.normalize(PathNormalizer.normalize(path)));
  }

  @Test
  void emptyOrMissingPathIsRoot() throws UnsafePathException {
    assertEquals("/", PathNormalizer.normalize(""));
    assertEquals("/", PathNormalizer.normalize(null));
  }

  /** The traversal probes of acceptance/scenarios/isolation.sh, each sent to both routes. */
  static Stream<Arguments> isolationProbes() {
    String[] targets = {
        "/v2/../../service/rest/v1/status",
        "/v2/%2e%2e/%2e%2e/service/rest/v1/status",
        "/v2/%2E%2E/%2E%2E/%2E%2E/service/rest/v1/status",
        "/v2/..%2f..%2f..%2fservice/rest/v1/status",
        "/v2/.%2e/.%2e/service/rest/v1/status",
        "/v2/..;/..;/service/rest/v1/status",
        "/v2/%2e%2e;x/%2e%2e;x/service/rest/v1/status",
        "/v2/%252e%252e/%252e%252e/service/rest/v1/status",
        "/v2/..%5c..%5cservice/rest/v1/status",
        "/v2/../../docker-b-hosted/v2/",
        "/..%2f..%2frepository/docker-b-hosted/v2/",
        "/repository/docker-b-hosted/v2/",
    };
    List<Arguments> rows = new ArrayList<>();
    for (String prefix : new String[] {"/repository/docker-hosted", "/repository/docker-b-hosted"}) {
      for (String t : targets) {
        rows.add(Arguments.of(prefix, t));
      }
    }
    // absolute-form request targets: Jetty hands the servlet only the path of the URL
    rows.add(Arguments.of("/repository/docker-hosted", pathOf("http://127.0.0.1:8081/service/rest/v1/status")));
    rows.add(Arguments.of("/repository/docker-hosted",
        pathOf("http://127.0.0.1:8082/repository/docker-b-hosted/v2/")));
    return rows.stream();
  }

  @ParameterizedTest(name = "{1} via {0}")
  @MethodSource("isolationProbes")
  void isolationProbesAreRefusedOrStayInsideThePrefix(String prefix, String probe) {
    assertSafe(prefix, probe);
  }

  @Test
  void isolationHasTwentySixProbes() {
    assertEquals(26, isolationProbes().count());
  }

  private static final String[] TOKENS = {"..", ".", "%2e", "%2E", ";x", "%2f", "/", "a", "%25", "\\"};

  /**
   * Hostile paths from a grammar of tokens: whatever is accepted stays under the prefix for a
   * backend that decodes once, strips ;params and removes dot segments.
   */
  @Test
  void randomHostilePathsAcceptedOnlyInsideThePrefix() {
    Random random = new Random(0x6a6e7279L);
    int accepted = 0;
    for (int n = 0; n < 50_000; n++) {
      StringBuilder raw = new StringBuilder("/");
      int length = 1 + random.nextInt(12);
      for (int i = 0; i < length; i++) {
        raw.append(TOKENS[random.nextInt(TOKENS.length)]);
      }
      if (assertSafe(PREFIX, raw.toString())) {
        accepted++;
      }
    }
    assertTrue(accepted > 1_000, "the grammar should also produce acceptable paths, got " + accepted);
  }

  /** Asserts that {@code raw} is refused or stays inside {@code prefix}; returns whether accepted. */
  private static boolean assertSafe(String prefix, String raw) {
    String normalized;
    try {
      normalized = PathNormalizer.normalize(raw);
    } catch (UnsafePathException e) {
      return false;
    }
    String forwarded = prefix + normalized;
    for (boolean collapseEmpty : new boolean[] {false, true}) {
      String resolved = backendView(forwarded, collapseEmpty);
      if (!(resolved + "/").startsWith(prefix + "/")) {
        fail(raw + " -> " + normalized + " is read by a backend as " + resolved + ", outside " + prefix);
      }
    }
    return true;
  }

  private static String pathOf(String absoluteForm) {
    int slash = absoluteForm.indexOf('/', absoluteForm.indexOf("://") + 3);
    return absoluteForm.substring(slash);
  }

  // ---- the reference model of lib/pathcheck.py -------------------------------------------------

  /**
   * How a Jetty/Tomcat backend may read a forwarded path: percent-decoded once (invalid escapes
   * left as they are), {@code ;params} stripped from each segment, then dot segments removed as in
   * RFC 3986 5.2.4 ({@code collapseEmpty} also collapses {@code //} first, as Python's normpath).
   */
  static String backendView(String path, boolean collapseEmpty) {
    String decoded = decodeOnce(path);
    String[] segments = decoded.substring(decoded.startsWith("/") ? 1 : 0).split("/", -1);
    List<String> out = new ArrayList<>();
    for (int i = 0; i < segments.length; i++) {
      String s = segments[i];
      int semicolon = s.indexOf(';');
      if (semicolon >= 0) {
        s = s.substring(0, semicolon);
      }
      boolean last = i == segments.length - 1;
      if (s.equals(".")) {
        if (last) {
          out.add("");
        }
      } else if (s.equals("..")) {
        if (!out.isEmpty()) {
          out.remove(out.size() - 1);
        }
        if (last) {
          out.add("");
        }
      } else if (!(collapseEmpty && s.isEmpty() && !last)) {
        out.add(s);
      }
    }
    return "/" + String.join("/", out);
  }

  private static String decodeOnce(String s) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '%' && i + 2 < s.length() && Character.digit(s.charAt(i + 1), 16) >= 0
          && Character.digit(s.charAt(i + 2), 16) >= 0) {
        bytes.write(Integer.parseInt(s.substring(i + 1, i + 3), 16));
        i += 2;
      } else {
        byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        bytes.write(b, 0, b.length);
      }
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @ParameterizedTest(name = "model: {0} -> {1}")
  @CsvSource(delimiter = '|', value = {
      "/r/h/v2/../../x        | /r/x",
      "/r/h/%2e%2e/x          | /r/x",
      "/r/h/..;x/y            | /r/y",
      "/r/h/a%2f..%2f..%2fz   | /r/z",
      "/r/h/%252e%252e/x      | /r/h/%2e%2e/x",
      "/..                    | /",
  })
  void referenceModelReadsLikePathcheck(String path, String expected) {
    assertEquals(expected, backendView(path, true));
  }
}
