package io.gantry.server.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gantry.proxy.header.HeaderRules;
import io.gantry.proxy.route.RouteStrategies;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** When an earlier route takes every request of a later one, condition by condition. */
class RouteShadowingTest {

  @ParameterizedTest(name = "host {0} covers {1}: {2}")
  @CsvSource(delimiter = '|', value = {
      "''                             | a.example.com         | true",
      "a.example.com                  | ''                    | false",
      "*.example.com                  | a.example.com         | true",
      "*.example.com                  | A.Example.COM.        | true",
      "*.example.com                  | *.example.com         | true",
      "*.example.com                  | *.EXAMPLE.com         | true",
      "*.example.com                  | example.com           | false",
      "*.example.com                  | a.b.example.com       | false",
      "*.example.com                  | *.b.example.com       | false",
      "a.example.com                  | *.example.com         | false",
      "a.example.com b.example.com    | *.example.com         | false",
      "*.example.com other.org        | a.example.com other.org | true",
      "*.example.com                  | a.example.com other.org | false",
      "registry.example.com           | Registry.Example.com. | true",
  })
  void hostsAndWildcards(String earlier, String later, boolean expected) {
    assertEquals(expected, RouteShadowing.covers(route(0, "", earlier, "", ""), route(1, "", later, "", "")));
  }

  @ParameterizedTest(name = "path {0} covers {1}: {2}")
  @CsvSource(delimiter = '|', value = {
      "/v2/     | /v2/x/   | true",
      "/v2      | /v2/x    | true",
      "/v2/     | /v2      | true",
      "/v2/x/   | /v2/     | false",
      "/v2/     | /v2x/    | false",
      "/        | /anything/ | true",
      "/v2/     | /%76%32/x/ | true",
      "/v2/ /v1/ | /v1/x/ /v2/ | true",
      "/v2/     | /v1/ /v2/ | false",
  })
  void pathPrefixes(String earlier, String later, boolean expected) {
    assertEquals(expected, RouteShadowing.covers(route(0, "", "", "", earlier), route(1, "", "", "", later)));
  }

  @ParameterizedTest(name = "method {0} covers {1}: {2}")
  @CsvSource(delimiter = '|', value = {
      "GET HEAD | get      | true",
      "GET      | GET HEAD | false",
      "''       | PUT      | true",
      "PUT      | ''       | false",
  })
  void methods(String earlier, String later, boolean expected) {
    assertEquals(expected, RouteShadowing.covers(route(0, "", "", earlier, ""), route(1, "", "", later, "")));
  }

  @Test
  void everyConditionMustCover() {
    RouteConfig wide = route(0, "a b", "*.example.com", "GET HEAD", "/v2/");
    assertEquals(true, RouteShadowing.covers(wide, route(1, "a", "x.example.com", "GET", "/v2/blobs/")));
    assertEquals(false, RouteShadowing.covers(wide, route(1, "c", "x.example.com", "GET", "/v2/blobs/")));
    assertEquals(false, RouteShadowing.covers(wide, route(1, "a", "x.example.org", "GET", "/v2/blobs/")));
    assertEquals(false, RouteShadowing.covers(wide, route(1, "a", "x.example.com", "PUT", "/v2/blobs/")));
    assertEquals(false, RouteShadowing.covers(wide, route(1, "a", "x.example.com", "GET", "/v1/")));
  }

  @Test
  void findNamesTheFirstEarlierRoute() {
    RouteConfig any = route(0, "", "", "", "");
    RouteConfig wildcard = route(1, "", "*.example.com", "", "");
    RouteConfig exact = route(2, "", "a.example.com", "", "");
    List<RouteShadowing.Shadow> shadows = RouteShadowing.find(List.of(wildcard, exact, any));
    assertEquals(List.of(new RouteShadowing.Shadow(exact, wildcard)), shadows);
    assertEquals(List.of(new RouteShadowing.Shadow(wildcard, any), new RouteShadowing.Shadow(exact, any)),
        RouteShadowing.find(List.of(any, wildcard, exact)));
  }

  /** A route from space-separated lists; empty for no condition. */
  private static RouteConfig route(int index, String listeners, String hosts, String methods, String paths) {
    return new RouteConfig(index, "route-" + (index + 1), list(listeners), list(hosts), list(methods), list(paths),
        null, null, null, "nexus", false, HeaderRules.NONE, HeaderRules.NONE, io.gantry.proxy.route.AccessRules.NONE, null, RouteStrategies.any(), "gantry.conf", index + 1);
  }

  private static List<String> list(String values) {
    return values.isBlank() ? List.of() : Arrays.asList(values.trim().split(" +"));
  }
}
