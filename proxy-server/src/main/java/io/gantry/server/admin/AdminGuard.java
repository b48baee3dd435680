package io.gantry.server.admin;

import io.gantry.proxy.address.AddressRanges;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Guards every admin path: a client address outside {@code allowFrom} gets 403, and with basic
 * auth configured a request without the right {@code Authorization: Basic} gets 401 with a {@code
 * WWW-Authenticate} challenge. The address is the connection's peer; the password is compared in
 * constant time and never logged.
 */
final class AdminGuard extends HttpFilter {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(AdminGuard.class);

  private final transient AddressRanges allowFrom;
  private final byte[] expectedCredentials;

  /**
   * @param allowFrom addresses that may use the admin endpoint; empty: every address
   * @param user basic auth user, or {@code null} for no authentication
   * @param password its password (with a user)
   */
  AdminGuard(AddressRanges allowFrom, String user, String password) {
    this.allowFrom = allowFrom;
    this.expectedCredentials = user == null ? null
        : ("Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8)))
            .getBytes(StandardCharsets.UTF_8);
  }

  boolean isActive() {
    return !allowFrom.isEmpty() || expectedCredentials != null;
  }

  @Override
  protected void doFilter(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws IOException, ServletException {
    String client = request.getRemoteAddr();
    if (!allowFrom.isEmpty() && !allowFrom.contains(client)) {
      LOG.info("admin: refused 403 for client {} (admin.allow-from) on {}", client, request.getRequestURI());
      refuse(response, 403, "Forbidden");
      return;
    }
    if (expectedCredentials != null) {
      String authorization = request.getHeader("Authorization");
      byte[] given = authorization == null ? new byte[0] : authorization.trim().getBytes(StandardCharsets.UTF_8);
      if (!MessageDigest.isEqual(given, expectedCredentials)) {
        LOG.debug("admin: refused 401 for client {} ({} credentials) on {}", client,
            authorization == null ? "no" : "wrong", request.getRequestURI());
        response.setHeader("WWW-Authenticate", "Basic realm=\"gantry admin\", charset=\"UTF-8\"");
        refuse(response, 401, "Unauthorized");
        return;
      }
    }
    chain.doFilter(request, response);
  }

  private static void refuse(HttpServletResponse response, int status, String reason) throws IOException {
    byte[] body = (status + " " + reason + "\n").getBytes(StandardCharsets.UTF_8);
    response.setStatus(status);
    response.setContentType("text/plain;charset=utf-8");
    response.setContentLength(body.length);
    response.getOutputStream().write(body);
  }
}
