package io.gantry.server.accesslog;

import io.gantry.proxy.ProxyExchange;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.RequestLog;
import org.eclipse.jetty.server.RequestLogWriter;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Slf4jRequestLogWriter;
import org.eclipse.jetty.util.NanoTime;
import org.eclipse.jetty.util.component.ContainerLifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * gantry's access log: one line per request, in NCSA combined format or as JSON, with the request
 * id and route of the proxy exchange.
 *
 * <p>Secrets stay out: the user field is always {@code -}, {@code Authorization} and cookies are
 * never read, and the values of query parameters named like credentials ({@code token}, {@code
 * password}, {@code X-Amz-Signature}, ...) are written as {@code ***}.
 *
 * <pre>{@code
 * server.setRequestLog(AccessLog.toLogger(AccessLog.Format.JSON));             // logger gantry.access
 * server.setRequestLog(AccessLog.toFile(AccessLog.Format.COMBINED, "/var/log/gantry/access.log"));
 * }</pre>
 *
 * <p>Combined: {@code 10.0.0.1 - - [12/Mar/2025:10:00:00 +0000] "GET /v2/ HTTP/1.1" 200 2 "-"
 * "docker/27.0" 4f1c... pull 12}. JSON keys: {@code time, remote, method, uri, protocol, status,
 * bytes, referer, user_agent, request_id, route, duration_ms, host}.
 */
public final class AccessLog extends ContainerLifeCycle implements RequestLog {
  /** The logger {@link #toLogger} writes to. */
  public static final String LOGGER_NAME = "gantry.access";

  /** Line formats. */
  public enum Format {
    /** NCSA combined, then request id, route and duration in milliseconds. */
    COMBINED,
    /** One JSON object per line. */
    JSON;

    /** {@code combined} or {@code json}, in any case. */
    public static Format of(String name) {
      return switch (name.toLowerCase(Locale.ROOT)) {
        case "combined" -> COMBINED;
        case "json" -> JSON;
        default -> throw new IllegalArgumentException("format: " + name + " (expected: combined or json)");
      };
    }
  }

  /** Query parameters whose values are never logged, compared ignoring case. */
  static final Set<String> SECRET_PARAMETERS = Set.of("token", "access_token", "refresh_token", "id_token",
      "password", "passwd", "pwd", "secret", "client_secret", "sig", "signature", "x-amz-signature",
      "x-amz-credential", "x-amz-security-token", "key", "api_key", "apikey", "auth", "authorization");
  private static final String MASK = "***";
  private static final String REQUEST_ID = "X-Request-Id";
  private static final DateTimeFormatter NCSA_TIME =
      DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.US).withZone(ZoneId.systemDefault());
  private static final Logger LOG = LoggerFactory.getLogger(AccessLog.class);

  private final Format format;
  private final RequestLog.Writer writer;

  /** Writes {@code format} lines to {@code writer}; a writer with a life cycle is started with this log. */
  public AccessLog(Format format, RequestLog.Writer writer) {
    this.format = Objects.requireNonNull(format, "format");
    this.writer = Objects.requireNonNull(writer, "writer");
    addBean(writer);
  }

  /** Lines to the SLF4J logger {@value #LOGGER_NAME} at INFO. */
  public static AccessLog toLogger(Format format) {
    return toLogger(format, LOGGER_NAME);
  }

  /** Lines to the named SLF4J logger at INFO. */
  public static AccessLog toLogger(Format format, String loggerName) {
    Slf4jRequestLogWriter writer = new Slf4jRequestLogWriter();
    writer.setLoggerName(loggerName);
    return new AccessLog(format, writer);
  }

  /**
   * Lines appended to a file; a {@code yyyy_mm_dd} in the name makes it roll daily (see {@link
   * RequestLogWriter}).
   */
  public static AccessLog toFile(Format format, String path) {
    RequestLogWriter writer = new RequestLogWriter(path);
    writer.setAppend(true);
    return new AccessLog(format, writer);
  }

  public Format format() {
    return format;
  }

  @Override
  public void log(Request request, Response response) {
    try {
      writer.write(format(request, response));
    } catch (IOException | RuntimeException e) {
      LOG.warn("cannot write the access log", e);
    }
  }

  /** The line for a request, without a line terminator. */
  String format(Request request, Response response) {
    ProxyExchange exchange = ProxyExchange.of(request);
    String requestId = exchange != null ? exchange.requestId() : request.getHeaders().get(REQUEST_ID);
    String route = exchange != null ? exchange.routeName() : "-";
    HttpURI uri = request.getHttpURI();
    String target = maskQuery(uri.getPath(), uri.getQuery());
    String host = exchange != null ? exchange.host() : Request.getServerName(request);
    long durationMs = TimeUnit.NANOSECONDS.toMillis(NanoTime.since(request.getBeginNanoTime()));
    Line line = new Line(Request.getTimeStamp(request), Request.getRemoteAddr(request), request.getMethod(),
        target, request.getConnectionMetaData().getProtocol(), response.getStatus(),
        Response.getContentBytesWritten(response), request.getHeaders().get(HttpHeader.REFERER),
        request.getHeaders().get(HttpHeader.USER_AGENT), requestId, route, durationMs, host);
    return format == Format.JSON ? line.json() : line.combined();
  }

  /** {@code path?query} with the values of secret-looking parameters replaced by {@value #MASK}. */
  static String maskQuery(String path, String query) {
    String p = path == null || path.isEmpty() ? "/" : path;
    if (query == null) {
      return p;
    }
    StringBuilder b = new StringBuilder(p.length() + query.length() + 1).append(p).append('?');
    int start = 0;
    while (start <= query.length()) {
      int end = query.indexOf('&', start);
      if (end < 0) {
        end = query.length();
      }
      String pair = query.substring(start, end);
      int eq = pair.indexOf('=');
      String rawName = eq < 0 ? pair : pair.substring(0, eq);
      if (eq >= 0 && isSecret(rawName)) {
        b.append(rawName).append('=').append(MASK);
      } else {
        b.append(pair);
      }
      if (end < query.length()) {
        b.append('&');
      }
      start = end + 1;
    }
    return b.toString();
  }

  static boolean isSecret(String rawName) {
    String name;
    try {
      name = URLDecoder.decode(rawName, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return true; // undecodable: treat as secret rather than guess
    }
    name = name.trim().toLowerCase(Locale.ROOT);
    return SECRET_PARAMETERS.contains(name) || name.contains("token") || name.contains("passw")
        || name.contains("secret") || name.contains("signature") || name.contains("credential")
        || name.endsWith("_key") || name.endsWith("-key");
  }

  /** The fields of one line. */
  private record Line(long timeMillis, String remote, String method, String uri, String protocol, int status,
      long bytes, String referer, String userAgent, String requestId, String route, long durationMs, String host) {

    String combined() {
      StringBuilder b = new StringBuilder(256);
      b.append(orDash(remote)).append(" - - [").append(NCSA_TIME.format(Instant.ofEpochMilli(timeMillis))).append("] \"");
      quoted(b, method).append(' ');
      quoted(b, uri).append(' ');
      quoted(b, protocol).append("\" ").append(status).append(' ').append(bytes).append(" \"");
      quoted(b, orDash(referer)).append("\" \"");
      quoted(b, orDash(userAgent)).append("\" ");
      token(b, requestId).append(' ');
      token(b, route).append(' ').append(durationMs);
      return b.toString();
    }

    String json() {
      StringBuilder b = new StringBuilder(320).append('{');
      field(b, "time", Instant.ofEpochMilli(timeMillis).toString()).append(',');
      field(b, "remote", remote).append(',');
      field(b, "method", method).append(',');
      field(b, "uri", uri).append(',');
      field(b, "protocol", protocol).append(',');
      b.append("\"status\":").append(status).append(',');
      b.append("\"bytes\":").append(bytes).append(',');
      field(b, "referer", referer).append(',');
      field(b, "user_agent", userAgent).append(',');
      field(b, "request_id", requestId).append(',');
      field(b, "route", route).append(',');
      b.append("\"duration_ms\":").append(durationMs).append(',');
      field(b, "host", host);
      return b.append('}').toString();
    }
  }

  private static String orDash(String s) {
    return s == null || s.isEmpty() ? "-" : s;
  }

  /** Inside an NCSA quoted field: quotes and backslashes escaped, control characters as \xNN. */
  static StringBuilder quoted(StringBuilder b, String s) {
    String v = orDash(s);
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c == '"' || c == '\\') {
        b.append('\\').append(c);
      } else if (c < 0x20 || c == 0x7f) {
        b.append("\\x").append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 0xf, 16));
      } else {
        b.append(c);
      }
    }
    return b;
  }

  /** An unquoted NCSA field: anything that could split the line or the field becomes '_'. */
  static StringBuilder token(StringBuilder b, String s) {
    String v = orDash(s);
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      b.append(c <= 0x20 || c == 0x7f || c == '"' ? '_' : c);
    }
    return b;
  }

  static StringBuilder field(StringBuilder b, String name, String value) {
    b.append('"').append(name).append("\":");
    if (value == null) {
      return b.append("null");
    }
    b.append('"');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        case '\b' -> b.append("\\b");
        case '\f' -> b.append("\\f");
        default -> {
          // Control characters must be escaped (RFC 8259 7); U+2028/9 break JavaScript readers.
          if (c < 0x20 || c == 0x7f || c == '\u2028' || c == '\u2029') {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"');
  }

}
