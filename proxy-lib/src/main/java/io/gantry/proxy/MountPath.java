package io.gantry.proxy;

import jakarta.servlet.http.HttpServletMapping;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.MappingMatch;

/**
 * Where a servlet is mounted, which routes never see, and the path within it that they route on:
 * {@code /app/registry/v2/x} under context {@code /app} and mapping {@code /registry/*} is {@code
 * /app/registry} + {@code /v2/x}, as Jetty's {@code ProxyServlet.Transparent} strips its prefix.
 *
 * @param mount the context path and a prefix mapping's servlet path, or empty
 * @param path the percent-encoded path to route and forward, starting with {@code /}
 */
record MountPath(String mount, String path) {
  /** {@code rawPath} split at the servlet's mount; {@code keep}: the whole path, nothing stripped. */
  static MountPath of(HttpServletRequest clientRequest, String rawPath, boolean keep) {
    String mount = keep ? "" : mountOf(clientRequest);
    if (mount.isEmpty() || !rawPath.startsWith(mount)) {
      return new MountPath("", rawPath);
    }
    if (rawPath.length() == mount.length()) {
      return new MountPath(mount, "/");
    }
    // A mount at /registry does not hold /registry2/...: only a whole segment is stripped.
    return rawPath.charAt(mount.length()) == '/' ? new MountPath(mount, rawPath.substring(mount.length())) : new MountPath("", rawPath);
  }

  private static String mountOf(HttpServletRequest clientRequest) {
    HttpServletMapping mapping = clientRequest.getHttpServletMapping();
    String servletPath = mapping != null && mapping.getMappingMatch() == MappingMatch.PATH ? clientRequest.getServletPath() : "";
    return clientRequest.getContextPath() + servletPath;
  }
}
