package io.gantry.proxy;

import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The short bodies gantry answers with itself. They name the route, never a backend address; on
 * Docker registry paths ({@code /v2/...}) they are registry error JSON so that {@code docker}
 * prints them sensibly.
 */
public final class ErrorResponses {
  private ErrorResponses() {}

  /**
   * Writes a complete error response (the response must not be committed).
   *
   * @param path the request path, used to pick the body format
   * @param message a short, client-safe message without backend details
   */
  public static void write(HttpServletResponse response, int status, String path, String message) throws IOException {
    response.resetBuffer();
    response.setStatus(status);
    byte[] body;
    if (isRegistryPath(path)) {
      response.setContentType("application/json");
      response.setHeader("Docker-Distribution-Api-Version", "registry/2.0");
      body = registryJson(status, message).getBytes(StandardCharsets.UTF_8);
    } else {
      response.setContentType("text/plain;charset=utf-8");
      body = (status + " " + reason(status) + ": " + message + "\n").getBytes(StandardCharsets.UTF_8);
    }
    response.setContentLength(body.length);
    response.getOutputStream().write(body);
  }

  static boolean isRegistryPath(String path) {
    return path != null && (path.equals("/v2") || path.startsWith("/v2/"));
  }

  /** The Docker Registry HTTP API V2 error document. */
  static String registryJson(int status, String message) {
    String code = switch (status) {
      case 400, 404, 421 -> "UNSUPPORTED";
      case 429 -> "TOOMANYREQUESTS";
      case 502, 503, 504 -> "UNAVAILABLE";
      default -> "UNKNOWN";
    };
    return "{\"errors\":[{\"code\":\"" + code + "\",\"message\":\"" + jsonEscape(message) + "\",\"detail\":null}]}\n";
  }

  public static String reason(int status) {
    return switch (status) {
      case 400 -> "Bad Request";
      case 404 -> "Not Found";
      case 408 -> "Request Timeout";
      case 421 -> "Misdirected Request";
      case 500 -> "Internal Server Error";
      case 502 -> "Bad Gateway";
      case 503 -> "Service Unavailable";
      case 504 -> "Gateway Timeout";
      default -> "Error";
    };
  }

  private static String jsonEscape(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        b.append('\\').append(c);
      } else if (c < 0x20) {
        b.append(String.format("\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }
}
