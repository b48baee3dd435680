package io.gantry.proxy.testing;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;

/**
 * A real Jetty backend on an ephemeral port that records every request it receives (raw target,
 * headers, body size and SHA-256) and answers through a per-test {@link Responder}.
 */
public final class Backend implements AutoCloseable {
  /** What the backend saw. */
  public record Seen(String method, String rawTarget, HttpFields headers, long bodyBytes, String bodySha256) {
    public String header(String name) {
      return headers.get(name);
    }
  }

  /** Answers a request; the body has already been consumed. */
  @FunctionalInterface
  public interface Responder {
    void respond(Request request, Response response, Seen seen, Callback callback) throws Exception;
  }

  /** 200 with a small body naming this backend. */
  public static Responder ok(String name) {
    return (request, response, seen, callback) -> {
      response.setStatus(200);
      response.getHeaders().put("X-Backend", name);
      response.getHeaders().put("Content-Type", "text/plain");
      Content.Sink.write(response, true, name + " " + seen.rawTarget(), callback);
    };
  }

  private final Server server;
  private final ServerConnector connector;
  private final BlockingQueue<Seen> seen = new LinkedBlockingQueue<>();
  private final List<Seen> all = new CopyOnWriteArrayList<>();
  private volatile Responder responder;

  public Backend(String name) throws Exception {
    this(ok(name));
  }

  public Backend(Responder responder) throws Exception {
    this(responder, 0);
  }

  /** A backend on a fixed port (to bring a "dead" upstream back to life). */
  public Backend(Responder responder, int port) throws Exception {
    this.responder = responder;
    server = new Server();
    HttpConfiguration config = new HttpConfiguration();
    config.setUriCompliance(org.eclipse.jetty.http.UriCompliance.UNSAFE);
    connector = new ServerConnector(server, new HttpConnectionFactory(config));
    connector.setHost("127.0.0.1");
    connector.setPort(port);
    server.addConnector(connector);
    server.setHandler(new Handler.Abstract.NonBlocking() {
      @Override
      public boolean handle(Request request, Response response, Callback callback) throws Exception {
        // Tests run few requests; reading on the handler thread keeps the backend simple.
        request.getComponents().getThreadPool().execute(() -> serve(request, response, callback));
        return true;
      }
    });
    server.start();
  }

  private void serve(Request request, Response response, Callback callback) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      long total = 0;
      try (InputStream in = Content.Source.asInputStream(request)) {
        byte[] buffer = new byte[65536];
        int n;
        while ((n = in.read(buffer)) >= 0) {
          sha.update(buffer, 0, n);
          total += n;
        }
      }
      Seen s = new Seen(request.getMethod(), request.getHttpURI().getPathQuery(),
          HttpFields.build(request.getHeaders()).asImmutable(), total, HexFormat.of().formatHex(sha.digest()));
      seen.add(s);
      all.add(s);
      responder.respond(request, response, s, callback);
    } catch (Throwable t) {
      callback.failed(t);
    }
  }

  public void respondWith(Responder responder) {
    this.responder = responder;
  }

  public int port() {
    return connector.getLocalPort();
  }

  /** {@code http://127.0.0.1:port} + path. */
  public String url(String path) {
    return "http://127.0.0.1:" + port() + path;
  }

  /** The next request this backend received, waiting up to 5 s. */
  public Seen next() throws InterruptedException {
    Seen s = seen.poll(5, TimeUnit.SECONDS);
    if (s == null) {
      throw new AssertionError("the backend received no request within 5 s");
    }
    return s;
  }

  /** Every request so far. */
  public List<Seen> all() {
    return List.copyOf(all);
  }

  public static ByteBuffer ascii(String s) {
    return ByteBuffer.wrap(s.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
  }

  @Override
  public void close() throws Exception {
    server.stop();
  }
}
