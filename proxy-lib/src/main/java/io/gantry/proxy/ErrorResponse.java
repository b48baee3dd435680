package io.gantry.proxy;

import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * A response gantry answers with itself: a refusal (421, 400, 403, 404, 405, 429), an upstream failure
 * (502, 503, 504) or a client failure (400, 408). Every such answer is made here, whichever engine
 * writes it. The message names the route, never a backend address; on Docker registry paths
 * ({@code /v2/...}) the body is registry error JSON so that {@code docker} prints it sensibly.
 *
 * @param allow the {@code Allow} header value (with a 405), or {@code null}
 * @param retryAfter the {@code Retry-After} seconds (with a 429), or -1
 * @param closeConnection whether to end the connection after it: after a failure mid-exchange, or
 *     with a 421, where the client should open a connection for the other name
 */
record ErrorResponse(int status, String contentType, byte[] body, boolean registry, String allow,
    boolean closeConnection, long retryAfter) {
  private static final String DOCKER_API_VERSION = "Docker-Distribution-Api-Version";
  /** The {@code Allow} header sent with a 405. */
  static final String ALLOWED_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";

  /** The answer with {@code status} for a request on {@code path} (which picks the body format). */
  static ErrorResponse of(int status, String path, String message) {
    boolean registry = isRegistryPath(path);
    byte[] body = registry
        ? registryJson(status, message).getBytes(StandardCharsets.UTF_8)
        : (status + " " + reason(status) + ": " + message + "\n").getBytes(StandardCharsets.UTF_8);
    return new ErrorResponse(status, registry ? "application/json" : "text/plain;charset=utf-8", body, registry,
        status == 405 ? ALLOWED_METHODS : null, status == 421, -1);
  }

  ErrorResponse closingConnection() {
    return new ErrorResponse(status, contentType, body, registry, allow, true, retryAfter);
  }

  ErrorResponse retryingAfter(long seconds) {
    return new ErrorResponse(status, contentType, body, registry, allow, closeConnection, seconds);
  }

  /** Writes the whole answer on a core Jetty response (which must not be committed). */
  void writeTo(Response response, Callback callback) {
    response.setStatus(status);
    HttpFields.Mutable headers = response.getHeaders();
    headers.put(HttpHeader.CONTENT_TYPE, contentType);
    if (registry) {
      headers.put(DOCKER_API_VERSION, "registry/2.0");
    }
    if (allow != null) {
      headers.put(HttpHeader.ALLOW, allow);
    }
    if (closeConnection) {
      headers.put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
    }
    if (retryAfter >= 0) {
      headers.put(HttpHeader.RETRY_AFTER, retryAfter);
    }
    headers.put(HttpHeader.CONTENT_LENGTH, body.length);
    response.write(true, ByteBuffer.wrap(body), callback);
  }

  /** Writes the whole answer on a servlet response (which must not be committed). */
  void writeTo(HttpServletResponse response) throws IOException {
    response.resetBuffer();
    response.setStatus(status);
    response.setContentType(contentType);
    if (registry) {
      response.setHeader(DOCKER_API_VERSION, "registry/2.0");
    }
    if (allow != null) {
      response.setHeader("Allow", allow);
    }
    if (closeConnection) {
      response.setHeader("Connection", "close");
    }
    if (retryAfter >= 0) {
      response.setHeader("Retry-After", String.valueOf(retryAfter));
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
      case 400, 404, 405, 421 -> "UNSUPPORTED";
      case 401 -> "UNAUTHORIZED";
      case 403 -> "DENIED";
      case 408 -> "BLOB_UPLOAD_INVALID";
      case 429 -> "TOOMANYREQUESTS";
      case 502, 503, 504 -> "UNAVAILABLE";
      default -> "UNKNOWN";
    };
    return "{\"errors\":[{\"code\":\"" + code + "\",\"message\":\"" + jsonEscape(message) + "\",\"detail\":null}]}\n";
  }

  static String reason(int status) {
    return switch (status) {
      case 400 -> "Bad Request";
      case 404 -> "Not Found";
      case 401 -> "Unauthorized";
      case 403 -> "Forbidden";
      case 405 -> "Method Not Allowed";
      case 408 -> "Request Timeout";
      case 421 -> "Misdirected Request";
      case 429 -> "Too Many Requests";
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
