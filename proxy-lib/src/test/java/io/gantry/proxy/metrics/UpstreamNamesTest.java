package io.gantry.proxy.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.codahale.metrics.MetricRegistry;
import io.gantry.proxy.route.Route;
import io.gantry.proxy.route.RouteStrategies;
import io.gantry.proxy.route.RouteTable;
import io.gantry.proxy.upstream.Upstream;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** How upstreams, which have no name in the library, are named in metrics. */
class UpstreamNamesTest {
  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '|', value = {
      "http://nexus:8081/repository/docker-group/        | nexus_8081_repository_docker-group",
      "http://nexus:8081/repository/docker-group         | nexus_8081_repository_docker-group",
      "HTTP://Nexus.Internal/                            | nexus_internal_80",
      "https://nexus.internal/                           | nexus_internal_443",
      "https://nexus.internal:443/Repo/                  | nexus_internal_443_repo",
      "http://nexus_1:8081/                              | nexus_1_8081",
      "http://[::1]:8081/a/                              | 1_8081_a",
      "http://10.0.0.7:8081/repository/npm%2Fscoped/     | 10_0_0_7_8081_repository_npm_2fscoped",
      "http://h:1/a%0d%0aSet-Cookie:x/                   | h_1_a_0d_0aset-cookie_x",
  })
  void labelIsHostPortAndPrefixWithOnlySafeCharacters(String url, String label) {
    assertEquals(label, ProxyMetrics.upstreamLabel(Upstream.of(url)));
    assertTrue(label.matches("[a-z0-9][a-z0-9_-]*[a-z0-9-]"), label);
  }

  @Test
  void upstreamsThatDifferOnlyInTimeoutsShareALabel() {
    Upstream a = Upstream.of("http://nexus:8081/r/");
    Upstream b = Upstream.builder("http://nexus:8081/r/").connectTimeout(Duration.ofSeconds(1)).build();
    assertEquals(ProxyMetrics.upstreamLabel(a), ProxyMetrics.upstreamLabel(b));
  }

  @Test
  void namedUpstreamsUseTheirNameAndAnAliasKeepsTheFirst() {
    Upstream nexus = Upstream.of("http://nexus:8081/repository/docker-group/");
    Upstream other = Upstream.of("http://other:8081/");
    Map<String, Upstream> byName = new LinkedHashMap<>();
    byName.put("nexus", nexus);
    byName.put("nexus-alias", Upstream.of("http://nexus:8081/repository/docker-group/"));
    MetricRegistry registry = new MetricRegistry();
    ProxyMetrics metrics = ProxyMetrics.builder(registry).upstreamNames(byName)
        .routes(RouteTable.builder().route(Route.of("r", RouteStrategies.any(), nexus))
            .route(Route.of("o", RouteStrategies.any(), other)).build())
        .build();
    assertEquals("nexus", metrics.upstreamName(nexus));
    assertEquals("other_8081", metrics.upstreamName(other));
    assertTrue(registry.getTimers().containsKey("gantry.upstream.nexus.requests"));
    assertTrue(registry.getTimers().containsKey("gantry.upstream.other_8081.requests"));
    assertTrue(registry.getTimers().containsKey("gantry.route.r.requests"));
  }

  @ParameterizedTest(name = "''{0}''")
  @CsvSource(value = {"''", "' '", "a b", "a/b", "a*", "ü"}, emptyValue = "")
  void invalidNamesAreRefused(String name) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ProxyMetrics.builder(new MetricRegistry()).upstreamName(name, Upstream.of("http://a/")));
    assertTrue(e.getMessage().startsWith("name: '"), e.getMessage());
  }

  @Test
  void oneNameForTwoUpstreamsIsRefused() {
    ProxyMetrics.Builder b = ProxyMetrics.builder(new MetricRegistry()).upstreamName("nexus", Upstream.of("http://a/"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> b.upstreamName("nexus", Upstream.of("http://b/")));
    assertEquals("name: 'nexus' for http://b/ (expected: a name not already given to http://a/)", e.getMessage());
  }
}
