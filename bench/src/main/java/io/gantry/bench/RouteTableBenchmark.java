package io.gantry.bench;

import static io.gantry.proxy.route.RouteStrategies.host;
import static io.gantry.proxy.route.RouteStrategies.method;
import static io.gantry.proxy.route.RouteStrategies.pathPrefix;

import io.gantry.proxy.route.RequestView;
import io.gantry.proxy.route.Route;
import io.gantry.proxy.route.RouteTable;
import io.gantry.proxy.upstream.Upstream;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * {@link RouteTable#match(RequestView)}: one route against 1,000 virtual hosts of three routes
 * each, for the last host of the table (the worst place for a linear scan) and for a host no
 * route names. The index by host should make the big table cost what the small one does.
 *
 * <pre>{@code
 * java -jar bench/target/gantry-benchmarks.jar RouteTableBenchmark -prof gc
 * }</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RouteTableBenchmark {
  static final int VIRTUAL_HOSTS = 1_000;
  private static final String MANIFEST = "/v2/library/alpine/manifests/latest";

  private RouteTable oneRoute;
  private RouteTable thousandHosts;

  private RequestView pullFirstHost;
  private RequestView pullLastHost;
  private RequestView pushLastHost;
  private RequestView uiLastHost;
  private RequestView unknownHost;

  @Setup
  public void setUp() {
    Upstream group = Upstream.of("http://nexus:8081/repository/docker-group/");
    Upstream hosted = Upstream.of("http://nexus:8081/repository/docker-hosted/");
    Upstream ui = Upstream.of("http://nexus:8081/");

    oneRoute = RouteTable.builder()
        .route(Route.of("vh0-pull", host(vhost(0)).and(method("GET", "HEAD")), group))
        .build();

    RouteTable.Builder b = RouteTable.builder();
    for (int i = 0; i < VIRTUAL_HOSTS; i++) {
      String h = vhost(i);
      b.route(Route.of("vh" + i + "-pull", host(h).and(method("GET", "HEAD")), group));
      b.route(Route.of("vh" + i + "-push", host(h).and(pathPrefix("/v2/")), hosted));
      b.route(Route.of("vh" + i + "-ui", host(h), ui));
    }
    thousandHosts = b.build();

    String last = vhost(VIRTUAL_HOSTS - 1);
    pullFirstHost = view("GET", vhost(0), MANIFEST);
    pullLastHost = view("GET", last, MANIFEST);
    pushLastHost = view("PUT", last, MANIFEST);
    uiLastHost = view("POST", last, "/service/rest/v1/status");
    unknownHost = view("GET", "unknown.example.test", MANIFEST);

    // A benchmark of the wrong route measures nothing: check the set-up once.
    expect(oneRoute.match(pullFirstHost), "vh0-pull");
    expect(oneRoute.match(unknownHost), null);
    expect(thousandHosts.match(pullLastHost), "vh999-pull");
    expect(thousandHosts.match(pushLastHost), "vh999-push");
    expect(thousandHosts.match(uiLastHost), "vh999-ui");
    expect(thousandHosts.match(unknownHost), null);
  }

  static String vhost(int i) {
    return "vh" + i + ".example.test";
  }

  private static RequestView view(String method, String host, String path) {
    return RequestView.builder().method(method).host(host + ":443").path(path)
        .localPort(443).listenerName("https").secure(true)
        .header("User-Agent", "docker/24.0.7 go/go1.20.10")
        .build();
  }

  private static void expect(Route route, String name) {
    String actual = route == null ? null : route.name();
    if (name == null ? actual != null : !name.equals(actual)) {
      throw new IllegalStateException("set-up: expected route " + name + ", got " + actual);
    }
  }

  /** One route, the request matches it. */
  @Benchmark
  public Route oneRoute_hit() {
    return oneRoute.match(pullFirstHost);
  }

  /** One route, another host: no route. */
  @Benchmark
  public Route oneRoute_miss() {
    return oneRoute.match(unknownHost);
  }

  /** 3,000 routes, the last host, its first route (GET, HEAD). */
  @Benchmark
  public Route thousandHosts_lastHost_pull() {
    return thousandHosts.match(pullLastHost);
  }

  /** 3,000 routes, the last host, its second route (PUT under /v2/). */
  @Benchmark
  public Route thousandHosts_lastHost_push() {
    return thousandHosts.match(pushLastHost);
  }

  /** 3,000 routes, the last host, its third route (host only). */
  @Benchmark
  public Route thousandHosts_lastHost_ui() {
    return thousandHosts.match(uiLastHost);
  }

  /** 3,000 routes, a host none of them names: no route. */
  @Benchmark
  public Route thousandHosts_miss() {
    return thousandHosts.match(unknownHost);
  }
}
