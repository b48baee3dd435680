package io.gantry.bench;

import io.gantry.proxy.path.PathNormalizer;
import io.gantry.proxy.path.UnsafePathException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * {@link PathNormalizer#normalize(String)} on the paths a registry front sees: typical Docker
 * paths (already normal: the fast path), one with dot segments to resolve, and a hostile one that
 * is refused.
 *
 * <pre>{@code
 * java -jar bench/target/gantry-benchmarks.jar PathNormalizerBenchmark -prof gc
 * }</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class PathNormalizerBenchmark {
  // Fields, not constants, so the JIT cannot fold the input.
  private String manifest = "/v2/library/alpine/manifests/latest";
  private String blob = "/v2/library/alpine/blobs/sha256:"
      + "c6a83fedfae6ed8a4f5f7cbb6a7b6f1c1ec3d86fea8cb9e5ba2e8f0e5a6f9d21";
  private String dotSegments = "/v2/a/./b/../c";
  private String hostile = "/v2/library/%2e%2e/%2e%2e/%2e%2e/etc/passwd";

  @Setup
  public void check() throws UnsafePathException {
    expect(PathNormalizer.normalize(manifest), manifest);
    expect(PathNormalizer.normalize(blob), blob);
    expect(PathNormalizer.normalize(dotSegments), "/v2/a/c");
    try {
      PathNormalizer.normalize(hostile);
      throw new IllegalStateException("set-up: " + hostile + " was not refused");
    } catch (UnsafePathException expected) {
      // refused, as it should be
    }
  }

  private static void expect(String actual, String expected) {
    if (!expected.equals(actual)) {
      throw new IllegalStateException("set-up: expected " + expected + ", got " + actual);
    }
  }

  @Benchmark
  public String manifest() throws UnsafePathException {
    return PathNormalizer.normalize(manifest);
  }

  @Benchmark
  public String blobDigest() throws UnsafePathException {
    return PathNormalizer.normalize(blob);
  }

  @Benchmark
  public String dotSegments() throws UnsafePathException {
    return PathNormalizer.normalize(dotSegments);
  }

  /** Refused: the cost of a probe, exception included (it carries no stack trace). */
  @Benchmark
  public Object hostileRefused() {
    try {
      return PathNormalizer.normalize(hostile);
    } catch (UnsafePathException e) {
      return e;
    }
  }
}
