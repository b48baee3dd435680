package io.gantry.proxy;

import static io.gantry.proxy.route.RouteStrategies.any;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gantry.proxy.route.Route;
import io.gantry.proxy.route.RouteTable;
import io.gantry.proxy.upstream.Upstream;
import io.gantry.proxy.testing.Backend;
import io.gantry.proxy.testing.Proxy;
import io.gantry.proxy.testing.Proxy.Engine;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.IteratingCallback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Bodies stream through without limit or buffering: 1 GiB each way with identical digests and a
 * heap that does not grow with the body (the test JVM has -Xmx512m; the samples show the margin).
 */
@ParameterizedClass(name = "{0}")
@EnumSource(Engine.class)
class StreamingTest {
  @Parameter
  Engine engine;

  private static final long GIB = 1L << 30;
  private static final byte[] PATTERN = pattern();

  private Backend backend;
  private Proxy proxy;

  @BeforeEach
  void start() throws Exception {
    backend = new Backend("sink");
    RouteTable routes = RouteTable.builder().route(Route.of("all", any(), Upstream.of(backend.url("/repo/")))).build();
    proxy = new Proxy(engine, b -> b.routes(routes));
  }

  @AfterEach
  void stop() throws Exception {
    proxy.close();
    backend.close();
  }

  private static byte[] pattern() {
    byte[] b = new byte[1 << 16];
    long x = 0x9E3779B97F4A7C15L;
    for (int i = 0; i < b.length; i++) {
      x ^= x << 13;
      x ^= x >>> 7;
      x ^= x << 17;
      b[i] = (byte) x;
    }
    return b;
  }

  /** SHA-256 of {@code size} bytes of the repeating pattern. */
  private static String expectedDigest(long size) throws Exception {
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    for (long left = size; left > 0; ) {
      int n = (int) Math.min(left, PATTERN.length);
      sha.update(PATTERN, 0, n);
      left -= n;
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  /** Samples used heap every 100 ms; the peak tells whether bodies were held in memory. */
  private static final class HeapSampler implements AutoCloseable {
    private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    private final AtomicLong peak = new AtomicLong();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;
    private final long baseline;

    HeapSampler() {
      System.gc();
      baseline = memory.getHeapMemoryUsage().getUsed();
      thread = new Thread(() -> {
        while (running.get()) {
          peak.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
          try {
            Thread.sleep(100);
          } catch (InterruptedException e) {
            return;
          }
        }
      });
      thread.setDaemon(true);
      thread.start();
    }

    long growthMiB() {
      return (peak.get() - baseline) >> 20;
    }

    @Override
    public void close() throws InterruptedException {
      running.set(false);
      thread.join();
    }
  }

  @Test
  void oneGibUploadStreamsChunkedWithFlatHeap() throws Exception {
    backend.respondWith((request, response, seen, callback) -> {
      response.setStatus(201);
      response.getHeaders().put("X-Sha256", seen.bodySha256());
      response.getHeaders().put("X-Bytes", String.valueOf(seen.bodyBytes()));
      callback.succeeded();
    });
    HttpURLConnection c = (HttpURLConnection) new URL(proxy.url("/v2/x/blobs/uploads/1")).openConnection();
    c.setRequestMethod("PUT");
    c.setDoOutput(true);
    c.setChunkedStreamingMode(1 << 16); // Docker sends PATCH chunked, without Content-Length
    long growth;
    try (HeapSampler heap = new HeapSampler()) {
      try (OutputStream out = c.getOutputStream()) {
        for (long sent = 0; sent < GIB; sent += PATTERN.length) {
          out.write(PATTERN);
        }
      }
      assertEquals(201, c.getResponseCode());
      growth = heap.growthMiB();
    }
    assertEquals(String.valueOf(GIB), c.getHeaderField("X-Bytes"));
    assertEquals(expectedDigest(GIB), c.getHeaderField("X-Sha256"));
    Backend.Seen seen = backend.next();
    assertEquals("chunked", seen.header("Transfer-Encoding"));
    System.out.printf("1 GiB upload: heap growth %d MiB%n", growth);
    assertTrue(growth < 128, "heap grew by " + growth + " MiB during a 1 GiB upload");
  }

  @Test
  void oneGibDownloadStreamsWithFlatHeap() throws Exception {
    backend.respondWith((request, response, seen, callback) -> {
      response.setStatus(200);
      response.getHeaders().put("Content-Type", "application/octet-stream");
      response.getHeaders().put("Content-Length", String.valueOf(GIB));
      new IteratingCallback() {
        long sent;

        @Override
        protected Action process() {
          if (sent >= GIB) {
            return Action.SUCCEEDED;
          }
          sent += PATTERN.length;
          response.write(sent >= GIB, ByteBuffer.wrap(PATTERN), this);
          return Action.SCHEDULED;
        }

        @Override
        protected void onCompleteSuccess() {
          callback.succeeded();
        }

        @Override
        protected void onCompleteFailure(Throwable cause) {
          callback.failed(cause);
        }
      }.iterate();
    });
    HttpURLConnection c = (HttpURLConnection) new URL(proxy.url("/v2/x/blobs/sha256:big")).openConnection();
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    long total = 0;
    long growth;
    try (HeapSampler heap = new HeapSampler(); InputStream in = c.getInputStream()) {
      assertEquals(String.valueOf(GIB), c.getHeaderField("Content-Length"));
      byte[] buffer = new byte[1 << 16];
      int n;
      while ((n = in.read(buffer)) >= 0) {
        sha.update(buffer, 0, n);
        total += n;
      }
      growth = heap.growthMiB();
    }
    assertEquals(GIB, total);
    assertEquals(expectedDigest(GIB), HexFormat.of().formatHex(sha.digest()));
    System.out.printf("1 GiB download: heap growth %d MiB%n", growth);
    assertTrue(growth < 128, "heap grew by " + growth + " MiB during a 1 GiB download");
  }

  @Test
  void chunksReachTheClientBeforeTheResponseEnds() throws Exception {
    java.util.concurrent.CountDownLatch firstSeen = new java.util.concurrent.CountDownLatch(1);
    backend.respondWith((request, response, seen, callback) -> {
      response.setStatus(200);
      response.write(false, Backend.ascii("first,"), Callback.from(() -> {
        // The second chunk only follows once the client has read the first through the proxy.
        request.getComponents().getThreadPool().execute(() -> {
          try {
            firstSeen.await(10, java.util.concurrent.TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          response.write(true, Backend.ascii("second"), callback);
        });
      }, callback::failed));
    });
    HttpURLConnection c = (HttpURLConnection) new URL(proxy.url("/stream")).openConnection();
    assertEquals(200, c.getResponseCode());
    assertEquals("chunked", c.getHeaderField("Transfer-Encoding"));
    InputStream in = c.getInputStream();
    byte[] first = in.readNBytes(6);
    assertEquals("first,", new String(first, StandardCharsets.US_ASCII));
    firstSeen.countDown();
    assertEquals("second", new String(in.readAllBytes(), StandardCharsets.US_ASCII));
  }

  @Test
  void expectContinueIsPassedThrough() throws Exception {
    backend.respondWith((request, response, seen, callback) -> {
      response.setStatus(201);
      response.getHeaders().put("X-Bytes", String.valueOf(seen.bodyBytes()));
      callback.succeeded();
    });
    try (Socket socket = new Socket("127.0.0.1", proxy.port())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(("PUT /v2/x/blobs/uploads/1 HTTP/1.1\r\nHost: r\r\nContent-Length: 5\r\n"
          + "Expect: 100-continue\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      String interim = readLine(in);
      assertEquals("HTTP/1.1 100 Continue", interim);
      readLine(in); // blank line ending the interim response
      out.write("hello".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String rest = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
      assertTrue(rest.startsWith("HTTP/1.1 201"), rest);
      assertTrue(rest.contains("X-Bytes: 5"), rest);
    }
    assertEquals("100-continue", backend.next().header("Expect"));
  }

  @Test
  void upstreamRefusingAnExpectedBodyIsAnsweredWithItsOwnStatus() throws Exception {
    try (ServerSocket refusing = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Thread upstream = new Thread(() -> {
        try (Socket s = refusing.accept()) {
          InputStream in = s.getInputStream();
          while (!readLine(in).isEmpty()) {
            // the request head; the body is never asked for
          }
          s.getOutputStream().write(("HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"registry\"\r\n"
              + "Content-Length: 0\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        } catch (Exception e) {
          // the test fails on the client side
        }
      });
      upstream.start();
      RouteTable routes = RouteTable.builder()
          .route(Route.of("all", any(), Upstream.of("http://127.0.0.1:" + refusing.getLocalPort() + "/"))).build();
      try (Proxy refusingProxy = new Proxy(engine, b -> b.routes(routes));
           Socket socket = new Socket("127.0.0.1", refusingProxy.port())) {
        socket.setSoTimeout(5_000);
        OutputStream out = socket.getOutputStream();
        out.write(("PUT /v2/x/blobs/uploads/1 HTTP/1.1\r\nHost: r\r\nContent-Length: 5\r\n"
            + "Expect: 100-continue\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        String status = readLine(socket.getInputStream());
        assertTrue(status.startsWith("HTTP/1.1 401"), status);
      }
      upstream.join(5_000);
    }
  }

  private static String readLine(InputStream in) throws Exception {
    StringBuilder b = new StringBuilder();
    int c;
    while ((c = in.read()) >= 0 && c != '\n') {
      if (c != '\r') {
        b.append((char) c);
      }
    }
    return b.toString();
  }
}
