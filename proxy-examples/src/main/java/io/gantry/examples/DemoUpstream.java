package io.gantry.examples;

import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;

/**
 * A stand-in for Nexus or a registry, so that every example runs on a machine with nothing else:
 * a Jetty server on 127.0.0.1 that answers each request with its name and what it saw ({@code
 * "team-a: GET /repository/team-a/v2/"}). Like a registry, it answers {@code POST
 * .../blobs/uploads/} with 202 and an absolute {@code Location} on its own address, which gantry
 * rewrites before the client sees it.
 */
public final class DemoUpstream implements AutoCloseable {
  private final String name;
  private final Server server;
  private final ServerConnector connector;

  private DemoUpstream(String name) {
    this.name = name;
    this.server = new Server();
    this.connector = new ServerConnector(server, 1, 1);
    connector.setHost("127.0.0.1");
    server.addConnector(connector);
    server.setHandler(new Handler.Abstract() {
      @Override
      public boolean handle(Request request, Response response, Callback callback) {
        String path = request.getHttpURI().getPath();
        if ("POST".equals(request.getMethod()) && path.endsWith("/blobs/uploads/")) {
          response.setStatus(202);
          response.getHeaders().put("Location", url() + path.substring(1) + "1");
        }
        Content.Sink.write(response, true, name + ": " + request.getMethod() + " " + request.getHttpURI().getPathQuery(),
            callback);
        return true;
      }
    });
  }

  /** A started upstream named {@code name} on a free port. */
  public static DemoUpstream start(String name) throws Exception {
    DemoUpstream upstream = new DemoUpstream(name);
    upstream.server.start();
    return upstream;
  }

  /** Its base URL, {@code http://127.0.0.1:<port>/}. */
  public String url() {
    return "http://127.0.0.1:" + connector.getLocalPort() + "/";
  }

  /** The name it answers with. */
  public String name() {
    return name;
  }

  @Override
  public void close() throws Exception {
    server.stop();
  }
}
