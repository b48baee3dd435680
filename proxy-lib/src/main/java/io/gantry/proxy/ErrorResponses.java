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
    Body body = body(status, path, message);
    response.resetBuffer();
    response.setStatus(status);
    response.setContentType(body.contentType());
    if (body.registry()) {
      response.setHeader("Docker-Distribution-Api-Version", "registry/2.0");
    }
    response.setContentLength(body.bytes().length);
    response.getOutputStream().write(body.bytes());
  }

  /** An error body: its media type, bytes, and whether it is registry JSON (which wants {@code Docker-Distribution-Api-Version}). */
  public record Body(String contentType, byte[] bytes, boolean registry) {}

  /** The body for {@code status} on {@code path}, for servers that write it themselves. */
  public static Body body(int status, String path, String message) {
    if (isRegistryPath(path)) {
      return new Body("application/json", registryJson(status, message).getBytes(StandardCharsets.UTF_8), true);
    }
    return new Body("text/plain;charset=utf-8",
        (status + " " + reason(status) + ": " + message + "\n").getBytes(StandardCharsets.UTF_8), false);
  }

  static boolean isRegistryPath(String path) {
    return path != null && (path.equals("/v2") || path.startsWith("/v2/"));
  }

  /** The Docker Registry HTTP API V2 error document. */
  static String registryJson(int status, String message) {
    String code = switch (status) {
      case 400, 404, 405, 421 -> "UNSUPPORTED";
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
      case 405 -> "Method Not Allowed";
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
