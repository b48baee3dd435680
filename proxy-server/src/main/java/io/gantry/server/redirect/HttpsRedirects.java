package io.gantry.server.redirect;

/**
 * What a plain listener with {@code redirect-to} answers: the status and {@code Location} of the
 * redirect to HTTPS. One place, so that {@link HttpsRedirectHandler} and {@code gantry explain}
 * say the same.
 *
 * <pre>{@code
 * HttpsRedirects.location("registry.example.com", 8443, "/v2/?n=1")  // https://registry.example.com:8443/v2/?n=1
 * HttpsRedirects.status("PUT")                                        // 308
 * }</pre>
 */
public final class HttpsRedirects {
  private HttpsRedirects() {}

  /**
   * The {@code Location}: the same host, the https port (left out when 443), and the path and
   * query exactly as the client sent them.
   *
   * @param host the host the client asked for, without port
   * @param httpsPort the port to redirect to
   * @param pathQuery the raw path and query, {@code /v2/?n=1}; {@code null} or empty for {@code /}
   */
  public static String location(String host, int httpsPort, String pathQuery) {
    return "https://" + host + (httpsPort == 443 ? "" : ":" + httpsPort)
        + (pathQuery == null || pathQuery.isEmpty() ? "/" : pathQuery);
  }

  /**
   * 301 for GET and HEAD; 308 for other methods, which a client must repeat unchanged with its body
   * (RFC 9110 15.4.9), where after a 301 it may turn a POST into a GET.
   */
  public static int status(String method) {
    return "GET".equals(method) || "HEAD".equals(method) ? 301 : 308;
  }
}
