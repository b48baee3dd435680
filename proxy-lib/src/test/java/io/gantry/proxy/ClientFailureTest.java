package io.gantry.proxy;

import static io.gantry.proxy.route.RouteStrategies.any;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gantry.proxy.route.Route;
import io.gantry.proxy.route.RouteTable;
import io.gantry.proxy.testing.Backend;
import io.gantry.proxy.testing.Proxy;
import io.gantry.proxy.testing.Proxy.Engine;
import io.gantry.proxy.testing.RawHttp;
import io.gantry.proxy.upstream.Upstream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A client that sends a broken, short or stalled request body is the client's fault: it gets a
 * 4xx (or its connection closed), the upstream exchange is aborted, and nothing is counted
 * against the upstream.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(Engine.class)
class ClientFailureTest {
  @Parameter
  Engine engine;

  private Backend backend;
  private Proxy proxy;
  private final List<String> upstreamFailures = new CopyOnWriteArrayList<>();
  private final List<String> clientFailures = new CopyOnWriteArrayList<>();
  private final List<Integer> completed = new CopyOnWriteArrayList<>();
  private final CountDownLatch done = new CountDownLatch(1);

  @BeforeEach
  void start() throws Exception {
    backend = new Backend("backend");
    RouteTable routes = RouteTable.builder().route(Route.of("uploads", any(), Upstream.of(backend.url("/")))).build();
    ProxyObserver recorder = new ProxyObserver() {
      @Override
      public void onUpstreamFailure(ProxyExchange exchange, int status, Throwable failure) {
        upstreamFailures.add(status + " " + failure);
      }

      @Override
      public void onClientFailure(ProxyExchange exchange, int status, Throwable failure) {
        clientFailures.add(status + " " + failure);
      }

      @Override
      public void onCompleted(ProxyExchange exchange, int status) {
        completed.add(status);
        done.countDown();
      }
    };
    proxy = new Proxy(engine, b -> b.routes(routes).observer(recorder));
  }

  @AfterEach
  void stop() throws Exception {
    proxy.close();
    backend.close();
  }

  private static final String CHUNKED_POST = "POST /upload HTTP/1.1\r\nHost: registry.example.com\r\n"
      + "Transfer-Encoding: chunked\r\n\r\n";

  @Test
  void invalidChunkSizeIs400() throws Exception {
    assertClientError(400, sendHalfClosed(CHUNKED_POST + "5\r\nhello\r\nZZ\r\nnot a chunk\r\n0\r\n\r\n"));
  }

  @Test
  void chunkSizeOverflowIs400() throws Exception {
    assertClientError(400, sendHalfClosed(CHUNKED_POST + "5\r\nhello\r\nFFFFFFFFFFFFFFFFFFFF\r\nxx\r\n0\r\n\r\n"));
  }

  @Test
  void bodyShorterThanContentLengthIs400() throws Exception {
    assertClientError(400, sendHalfClosed("PUT /upload HTTP/1.1\r\nHost: registry.example.com\r\n"
        + "Content-Length: 100000\r\n\r\n" + "x".repeat(1000)));
  }

  @Test
  void clientStallingMidUploadIs408() throws Exception {
    proxy.clientIdleTimeout(Duration.ofMillis(700));
    try (Socket socket = new Socket("127.0.0.1", proxy.port())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(("PUT /upload HTTP/1.1\r\nHost: registry.example.com\r\nContent-Length: 100000\r\n\r\n"
          + "x".repeat(1000)).getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      RawHttp.Reply reply = readReplyOrNull(socket.getInputStream());
      assertClientError(408, reply);
    }
  }

  @Test
  void clientResetMidUploadCountsNothingAgainstTheUpstream() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", proxy.port())) {
      OutputStream out = socket.getOutputStream();
      out.write(("PUT /upload HTTP/1.1\r\nHost: registry.example.com\r\nContent-Length: 10000000\r\n\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      out.write(new byte[256 * 1024]);
      out.flush();
      socket.setSoLinger(true, 0); // close with a TCP reset
    }
    assertTrue(done.await(5, TimeUnit.SECONDS), "the exchange did not complete after the client reset");
    assertEquals(List.of(), upstreamFailures, "a client reset was counted against the upstream");
    assertEquals(List.of(), backend.all(), "the backend must not see a complete request");
  }

  /** Sends the bytes, half-closes the connection (the client has nothing more) and reads the reply. */
  private RawHttp.Reply sendHalfClosed(String bytes) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", proxy.port())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(bytes.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      socket.shutdownOutput();
      return readReplyOrNull(socket.getInputStream());
    }
  }

  private static RawHttp.Reply readReplyOrNull(InputStream in) throws IOException {
    try {
      return RawHttp.read(in);
    } catch (IOException e) {
      return null; // the connection was closed without a response
    }
  }

  private void assertClientError(int status, RawHttp.Reply reply) throws Exception {
    if (reply != null) {
      assertEquals(status, reply.status(), reply.toString());
    }
    assertTrue(done.await(5, TimeUnit.SECONDS), "the exchange did not complete");
    assertEquals(List.of(), upstreamFailures, "a client error was counted against the upstream");
    assertEquals(1, clientFailures.size(), "client failures: " + clientFailures);
    assertEquals(List.of(status), completed);
    assertEquals(List.of(), backend.all(), "the backend must not see a complete request");
  }
}
