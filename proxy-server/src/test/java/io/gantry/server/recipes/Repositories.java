package io.gantry.server.recipes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;

/**
 * A real Jetty server standing in for Nexus: one connector per upstream of a recipe, so the
 * connector a request arrives on names the upstream that got it. Every request is recorded with
 * what a Docker repository builds its answers from (path, {@code Host}, {@code X-Forwarded-*}).
 * A {@code POST .../blobs/uploads/} is answered like a registry, 202 with an absolute {@code
 * Location} naming this server, which gantry must not let reach the client.
 */
final class Repositories implements AutoCloseable {
  /** One request as an upstream received it. */
  record Received(String upstream, String method, String pathQuery, String host, String forwardedProto,
      String forwardedHost, String forwardedPort, String forwardedFor) {}

  private final Server server = new Server();
  private final Map<String, ServerConnector> connectors = new LinkedHashMap<>();
  private final BlockingQueue<Received> received = new LinkedBlockingQueue<>();
  private final List<Received> all = java.util.Collections.synchronizedList(new ArrayList<>());

  Repositories(Collection<String> upstreams) throws Exception {
    for (String name : upstreams) {
      ServerConnector c = new ServerConnector(server, 1, 1);
      c.setHost("127.0.0.1");
      c.setName(name);
      server.addConnector(c);
      connectors.put(name, c);
    }
    server.setHandler(new Handler.Abstract() {
      @Override
      public boolean handle(Request request, Response response, Callback callback) throws Exception {
        Content.Source.consumeAll(request);
        String upstream = request.getConnectionMetaData().getConnector().getName();
        HttpFields h = request.getHeaders();
        String pathQuery = request.getHttpURI().getPathQuery();
        Received r = new Received(upstream, request.getMethod(), pathQuery, h.get("Host"),
            h.get("X-Forwarded-Proto"), h.get("X-Forwarded-Host"), h.get("X-Forwarded-Port"), h.get("X-Forwarded-For"));
        all.add(r);
        received.add(r);
        response.getHeaders().put("X-Upstream", upstream);
        if (request.getMethod().equals("POST") && request.getHttpURI().getPath().endsWith("/blobs/uploads/")) {
          response.setStatus(202);
          response.getHeaders().put("Location", "http://127.0.0.1:" + port(upstream) + request.getHttpURI().getPath() + "1");
        }
        Content.Sink.write(response, true, upstream + " " + pathQuery, callback);
        return true;
      }
    });
    server.start();
  }

  /** The port of the connector standing in for {@code upstream}. */
  int port(String upstream) {
    return connectors.get(upstream).getLocalPort();
  }

  /** The next request an upstream received. Call it after the client had its response: the upstream answered first. */
  Received next() throws InterruptedException {
    Received r = received.poll(5, TimeUnit.SECONDS);
    assertNotNull(r, "no upstream received the request");
    return r;
  }

  /**
   * Asserts that no request reached any upstream since the last {@link #next()}. Without waiting:
   * called after the client had its answer, a request gantry forwarded would have been recorded
   * before the upstream answered it.
   */
  void assertNoneReceived() {
    assertEquals(List.of(), List.copyOf(received), "requests reached upstreams");
  }

  /** Every request any upstream received since start. */
  List<Received> all() {
    synchronized (all) {
      return List.copyOf(all);
    }
  }

  void clear() {
    received.clear();
  }

  @Override
  public void close() throws Exception {
    server.stop();
  }
}
