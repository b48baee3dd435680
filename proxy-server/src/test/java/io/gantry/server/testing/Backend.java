package io.gantry.server.testing;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;

/**
 * A real Jetty backend on an ephemeral port. {@code /bytes/N} answers N bytes, {@code
 * /status/N} answers status N; anything else 200 {@code backend <path>}. Each request's path and
 * {@code X-Request-Id} are recorded.
 */
public final class Backend {
  /** What the backend saw. */
  public record Seen(String path, String requestId, long bodyBytes) {}

  private final Server server = new Server();
  private final ServerConnector connector = new ServerConnector(server, 1, 1);
  private final BlockingQueue<Seen> seen = new LinkedBlockingQueue<>();

  public Backend() throws Exception {
    server.addConnector(connector);
    server.setHandler(new Handler.Abstract() {
      @Override
      public boolean handle(Request request, Response response, Callback callback) throws Exception {
        long body;
        try (java.io.InputStream in = Content.Source.asInputStream(request)) {
          body = in.transferTo(java.io.OutputStream.nullOutputStream());
        }
        String path = request.getHttpURI().getPath();
        seen.add(new Seen(path, request.getHeaders().get("X-Request-Id"), body));
        response.getHeaders().put("Content-Type", "text/plain");
        response.getHeaders().put("X-Backend", "backend");
        if (path.startsWith("/v2/bytes/")) {
          byte[] bytes = new byte[Integer.parseInt(path.substring("/v2/bytes/".length()))];
          Arrays.fill(bytes, (byte) 'x');
          response.setStatus(200);
          response.write(true, ByteBuffer.wrap(bytes), callback);
        } else if (path.contains("/slow/")) {
          Thread.sleep(Long.parseLong(path.substring(path.indexOf("/slow/") + 6))); // a transfer in flight
          Content.Sink.write(response, true, "backend " + path, callback);
        } else if (path.startsWith("/v2/status/")) {
          response.setStatus(Integer.parseInt(path.substring("/v2/status/".length())));
          Content.Sink.write(response, true, "status", callback);
        } else {
          response.setStatus(200);
          Content.Sink.write(response, true, "backend " + path, callback);
        }
        return true;
      }
    });
    server.start();
  }

  public String url() {
    return "http://127.0.0.1:" + port() + "/";
  }

  public int port() {
    return connector.getLocalPort();
  }

  public BlockingQueue<Seen> seen() {
    return seen;
  }

  public void close() throws Exception {
    server.stop();
  }
}
