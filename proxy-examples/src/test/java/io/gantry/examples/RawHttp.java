package io.gantry.examples;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** One HTTP/1.1 request written byte for byte: paths and methods no HTTP client would send. */
final class RawHttp {
  private RawHttp() {}

  /** The status and the whole response text. */
  record Reply(int status, String text) {}

  /** Sends {@code head} (request line and headers, each ending in CRLF) with Connection: close. */
  static Reply send(int port, String head) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write((head + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String text = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      String[] statusLine = text.split(" ", 3);
      return new Reply(statusLine.length > 1 ? Integer.parseInt(statusLine[1]) : -1, text);
    }
  }
}
