import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Jetty;

/**
 * Runs the README's "Embedding" example ({@code RegistryFront}, extracted from README.md by
 * run.sh, never copied by hand) as an embedder would: a real backend standing in for Nexus, the
 * example's proxy on an ephemeral port, both engines, a pull, a push and a host no route serves.
 * Exits 0 when all of it behaves as the README says, 1 otherwise.
 */
public final class EmbeddingCheck {
  private static final List<String> FAILURES = new ArrayList<>();

  private EmbeddingCheck() {}

  public static void main(String[] args) throws Exception {
    String expectedJetty = System.getProperty("gantry.jetty.version");
    if (expectedJetty != null && !expectedJetty.equals(Jetty.VERSION)) {
      FAILURES.add("the BOM gave Jetty " + Jetty.VERSION + ", gantry is built against " + expectedJetty);
    }
    Server nexus = nexus();
    try {
      String nexusUrl = "http://127.0.0.1:" + port(nexus);
      check("handler", RegistryFront.start(0, nexusUrl));
      check("servlet", RegistryFront.startServlet(0, nexusUrl));
    } finally {
      nexus.stop();
    }
    if (FAILURES.isEmpty()) {
      System.out.println("embedding-check: README example OK on Jetty " + Jetty.VERSION + " (handler and servlet)");
      System.exit(0);
    }
    FAILURES.forEach(f -> System.err.println("embedding-check: FAILED: " + f));
    System.exit(1);
  }

  private static void check(String engine, Server proxy) throws Exception {
    try {
      int port = port(proxy);
      expect(engine, port, "GET", "registry.example.com", "/v2/library/alpine/manifests/3.20",
          200, "GET /repository/docker-group/v2/library/alpine/manifests/3.20");
      expect(engine, port, "PUT", "registry.example.com", "/v2/library/alpine/manifests/3.20",
          200, "PUT /repository/docker-hosted/v2/library/alpine/manifests/3.20");
      expect(engine, port, "GET", "elsewhere.example.com", "/v2/", 404, null);
    } finally {
      proxy.stop();
    }
  }

  /** One HTTP/1.1 exchange over a plain socket: the only way to choose the Host header freely. */
  private static void expect(String engine, int port, String method, String host, String path, int status,
      String body) throws IOException {
    String response;
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write((method + " " + path + " HTTP/1.1\r\nHost: " + host + "\r\nContent-Length: 0\r\n"
          + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      response = readAll(socket.getInputStream());
    }
    String what = engine + ": " + method + " " + host + path;
    String statusLine = response.lines().findFirst().orElse("");
    if (!statusLine.startsWith("HTTP/1.1 " + status + " ")) {
      FAILURES.add(what + ": expected status " + status + ", got '" + statusLine + "'");
    } else if (body != null && !response.contains("\r\n\r\n" + body) && !response.contains(body + "\r\n")) {
      FAILURES.add(what + ": expected the backend to see '" + body + "', got:\n" + response);
    }
  }

  private static String readAll(InputStream in) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    in.transferTo(bytes);
    return bytes.toString(StandardCharsets.UTF_8);
  }

  /** Stands in for Nexus: answers each request with its method and path as the upstream saw them. */
  private static Server nexus() throws Exception {
    Server server = new Server();
    ServerConnector connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    server.addConnector(connector);
    server.setHandler(new Handler.Abstract() {
      @Override
      public boolean handle(Request request, Response response, Callback callback) {
        Content.Sink.write(response, true, request.getMethod() + " " + request.getHttpURI().getPath(), callback);
        return true;
      }
    });
    server.start();
    return server;
  }

  private static int port(Server server) {
    return ((ServerConnector) server.getConnectors()[0]).getLocalPort();
  }
}
