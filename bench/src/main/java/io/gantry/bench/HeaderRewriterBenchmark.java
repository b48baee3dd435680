package io.gantry.bench;

import io.gantry.proxy.header.ForwardedHeaders;
import io.gantry.proxy.header.ResponseHeaderRewriter;
import io.gantry.proxy.upstream.Upstream;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpFields;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * What crosses the proxy besides the body: {@link ResponseHeaderRewriter#rewrite} of the URL
 * headers a Nexus Docker repository sends back, and {@link ForwardedHeaders#apply} into the
 * upstream request's Jetty {@link HttpFields.Mutable}.
 *
 * <pre>{@code
 * java -jar bench/target/gantry-benchmarks.jar HeaderRewriterBenchmark -prof gc
 * }</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class HeaderRewriterBenchmark {
  private static final String UPSTREAM = "http://nexus:8081/repository/docker-hosted/";
  private static final String SCHEME = "https";
  private static final String AUTHORITY = "registry.example.test";

  private ResponseHeaderRewriter rewriter;
  private String location = UPSTREAM + "v2/library/alpine/blobs/uploads/9a1e9e1c-8b1f-4c43-a0e5-3d1e7d2f6b10"
      + "?_state=bWtVdXlHQk9uV2pJc3dHd2Z0Z0xHZz09";
  private String link = "</repository/docker-hosted/v2/_catalog?last=library%2Falpine&n=100>; rel=\"next\"";
  private String wwwAuthenticate = "Bearer realm=\"" + UPSTREAM + "v2/token\",service=\"" + UPSTREAM
      + "v2/token\",scope=\"repository:library/alpine:pull\"";

  private ForwardedHeaders untrusted;
  private ForwardedHeaders trustedProxy;
  private ForwardedHeaders.ClientConnection directClient;
  private ForwardedHeaders.ClientConnection viaLoadBalancer;
  private HttpFields inbound;
  private ForwardedHeaders.InboundHeaders inboundHeaders;
  private HttpFields.Mutable upstreamRequest;

  @Setup
  public void setUp() {
    rewriter = new ResponseHeaderRewriter(Upstream.of(UPSTREAM));
    expect(rewriter.rewrite("Location", location, SCHEME, AUTHORITY),
        "https://registry.example.test/v2/library/alpine/blobs/uploads/9a1e9e1c-8b1f-4c43-a0e5-3d1e7d2f6b10"
            + "?_state=bWtVdXlHQk9uV2pJc3dHd2Z0Z0xHZz09");
    expect(rewriter.rewrite("Link", link, SCHEME, AUTHORITY),
        "</v2/_catalog?last=library%2Falpine&n=100>; rel=\"next\"");
    expect(rewriter.rewrite("WWW-Authenticate", wwwAuthenticate, SCHEME, AUTHORITY),
        "Bearer realm=\"https://registry.example.test/v2/token\",service=\"" + UPSTREAM
            + "v2/token\",scope=\"repository:library/alpine:pull\"");

    untrusted = ForwardedHeaders.NONE_TRUSTED;
    trustedProxy = ForwardedHeaders.trusting("10.0.0.0/8");
    directClient = new ForwardedHeaders.ClientConnection("192.0.2.10", true, AUTHORITY, "127.0.0.1");
    viaLoadBalancer = new ForwardedHeaders.ClientConnection("10.1.2.3", true, AUTHORITY, "127.0.0.1");
    // A docker pull as it reaches gantry, with forwarding headers a client might forge or a
    // load balancer set.
    inbound = HttpFields.build()
        .add("Host", AUTHORITY)
        .add("User-Agent", "docker/24.0.7 go/go1.20.10 git-commit/311b9ff kernel/6.1.0 os/linux arch/amd64")
        .add("Accept", "application/vnd.oci.image.index.v1+json")
        .add("Accept", "application/vnd.docker.distribution.manifest.v2+json")
        .add("Authorization", "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyIn0.c2lnbmF0dXJl")
        .add("X-Forwarded-For", "198.51.100.7")
        .add("X-Forwarded-Proto", "https")
        .add("Accept-Encoding", "gzip")
        .asImmutable();
    inboundHeaders = inbound::get;
    // apply() replaces what it owns, so one upstream request can be reused: each call does the
    // same removes and puts on a header list of the same size.
    upstreamRequest = HttpFields.build(inbound);
  }

  private static void expect(String actual, String expected) {
    if (!expected.equals(actual)) {
      throw new IllegalStateException("set-up: expected " + expected + ", got " + actual);
    }
  }

  @Benchmark
  public String location() {
    return rewriter.rewrite("Location", location, SCHEME, AUTHORITY);
  }

  @Benchmark
  public String link() {
    return rewriter.rewrite("Link", link, SCHEME, AUTHORITY);
  }

  @Benchmark
  public String wwwAuthenticateRealm() {
    return rewriter.rewrite("WWW-Authenticate", wwwAuthenticate, SCHEME, AUTHORITY);
  }

  /** A client connecting directly: its forwarding headers are replaced. */
  @Benchmark
  public HttpFields.Mutable forwardedApply() {
    untrusted.apply(directClient, inboundHeaders, upstreamRequest);
    return upstreamRequest;
  }

  /** A request from a trusted load balancer: its headers are kept and gantry's hop appended. */
  @Benchmark
  public HttpFields.Mutable forwardedApplyTrusted() {
    trustedProxy.apply(viaLoadBalancer, inboundHeaders, upstreamRequest);
    return upstreamRequest;
  }
}
