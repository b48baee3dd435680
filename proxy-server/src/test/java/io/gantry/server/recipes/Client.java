package io.gantry.server.recipes;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * One raw HTTP/1.1 exchange per {@link #send}, over TLS with an SNI name of the test's choosing
 * or plain: the request line goes out byte for byte (dot segments, {@code %2f}, absolute form),
 * and {@code Host} may differ from SNI, as a hostile client would send them.
 *
 * <pre>{@code
 * Reply r = gantry.tls("https", "registry.example.com").agent(Client.DOCKER).send("HEAD", "/v2/team/app/manifests/1.0");
 * }</pre>
 */
final class Client {
  static final String DOCKER = "docker/27.3.1 go/go1.22.7 git-commit/41ca978 kernel/6.8.0 os/linux arch/amd64"
      + " UpstreamClient(Docker-Client/27.3.1 \\(linux\\))";
  static final String CONTAINERD = "containerd/1.7.22";
  static final String BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

  private final int port;
  private final SSLContext tls;
  private final String sni;
  private String host;
  private final Map<String, String> headers = new LinkedHashMap<>();

  private Client(int port, SSLContext tls, String sni, String host) {
    this.port = port;
    this.tls = tls;
    this.sni = sni;
    this.host = host;
  }

  /** A TLS client sending {@code sni} (none when null) and, unless changed, {@code Host: sni}. */
  static Client tls(int port, SSLContext context, String sni) {
    return new Client(port, context, sni, sni);
  }

  static Client plain(int port, String host) {
    return new Client(port, null, null, host);
  }

  /** The {@code Host} header, here independent of SNI. */
  Client host(String value) {
    this.host = value;
    return this;
  }

  Client agent(String userAgent) {
    return header("User-Agent", userAgent);
  }

  Client header(String name, String value) {
    headers.put(name, value);
    return this;
  }

  /** What came back: the status, headers (first value by lower-case name), body and, on TLS, the server's certificate. */
  record Reply(int status, Map<String, String> headers, String body, X509Certificate certificate) {
    String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }

    /** The first DNS name of the certificate served. */
    String certificateName() throws Exception {
      return (String) certificate.getSubjectAlternativeNames().iterator().next().get(1);
    }
  }

  /** Sends {@code method target} (the request target exactly as given) and reads the reply to the end. */
  Reply send(String method, String target) throws Exception {
    StringBuilder request = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\n");
    request.append("Host: ").append(host).append("\r\n");
    headers.forEach((name, value) -> request.append(name).append(": ").append(value).append("\r\n"));
    if (List.of("POST", "PUT", "PATCH").contains(method)) {
      request.append("Content-Length: 0\r\n");
    }
    request.append("Connection: close\r\n\r\n");
    try (Socket socket = open()) {
      socket.setSoTimeout(10_000);
      X509Certificate served = null;
      if (socket instanceof SSLSocket s) {
        s.startHandshake();
        served = (X509Certificate) s.getSession().getPeerCertificates()[0];
      }
      socket.getOutputStream().write(request.toString().getBytes(StandardCharsets.ISO_8859_1));
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (InputStream in = socket.getInputStream()) {
        in.transferTo(out);
      }
      return parse(out.toString(StandardCharsets.ISO_8859_1), served);
    }
  }

  private Socket open() throws Exception {
    if (tls == null) {
      return new Socket("127.0.0.1", port);
    }
    SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket("127.0.0.1", port);
    SSLParameters params = socket.getSSLParameters();
    params.setServerNames(sni == null ? List.of() : List.of(new SNIHostName(sni)));
    socket.setSSLParameters(params);
    return socket;
  }

  private static Reply parse(String response, X509Certificate certificate) {
    int end = response.indexOf("\r\n\r\n");
    if (!response.startsWith("HTTP/1.1 ") || end < 0) {
      throw new AssertionError("not an HTTP/1.1 response: " + response);
    }
    String[] lines = response.substring(0, end).split("\r\n");
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      headers.putIfAbsent(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
    }
    return new Reply(Integer.parseInt(lines[0].substring(9, 12)), headers, response.substring(end + 4), certificate);
  }
}
