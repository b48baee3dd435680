package io.gantry.proxy.upstream;

import io.gantry.proxy.validation.InvalidSettingException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An upstream URL as written, read once at build time: lower-case scheme and host, the scheme's
 * port when none is given, a path prefix that starts and ends with {@code /}.
 */
record UpstreamUrl(String scheme, String host, int port, String prefix) {
  private static final Pattern AUTHORITY = Pattern.compile("([A-Za-z0-9_.-]+)(?::([0-9]{1,5}))?");

  /** The instances of one upstream: each valid, none twice, all with one scheme and prefix. */
  static List<UpstreamUrl> parseAll(List<String> written) {
    if (written.isEmpty()) {
      throw new InvalidSettingException("url", "no URL (expected: at least one, such as http://nexus:8081/repository/docker-group/)");
    }
    List<UpstreamUrl> urls = new ArrayList<>();
    for (String w : written) {
      UpstreamUrl url = parse(Objects.requireNonNull(w, "url"));
      for (UpstreamUrl other : urls) {
        if (other.equals(url)) {
          throw new InvalidSettingException("url", "'" + w + "' twice (expected: each instance once)");
        }
        if (!other.scheme.equals(url.scheme) || !other.prefix.equals(url.prefix)) {
          throw new InvalidSettingException("url", "'" + w + "' and '" + other.normalized()
              + "' (expected: the instances of one upstream share scheme and path, differing in host or port)");
        }
      }
      urls.add(url);
    }
    return urls;
  }

  static UpstreamUrl parse(String written) {
    URI uri;
    try {
      uri = new URI(written.trim());
    } catch (URISyntaxException e) {
      throw new InvalidSettingException("url", "'" + written + "' (expected: a URL such as http://nexus:8081/repository/docker-group/)");
    }
    String s = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!s.equals("http") && !s.equals("https")) {
      throw new InvalidSettingException("url", "'" + written + "' (expected: an http:// or https:// URL)");
    }
    String uriHost = uri.getHost();
    int uriPort = uri.getPort();
    if (uriHost == null && uri.getRawAuthority() != null) {
      // java.net.URI gives no host for names with '_' (docker-compose service names such as
      // nexus_1), which are fine on a private network: read the authority ourselves.
      Matcher m = AUTHORITY.matcher(uri.getRawAuthority());
      if (m.matches()) {
        uriHost = m.group(1);
        uriPort = m.group(2) == null ? -1 : Integer.parseInt(m.group(2));
      }
    }
    if (uriHost == null || uri.getRawUserInfo() != null) {
      throw new InvalidSettingException("url", "'" + written + "' (expected: http[s]://host[:port]/prefix/ without user info)");
    }
    if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
      throw new InvalidSettingException("url", "'" + written + "' (expected: no query or fragment)");
    }
    if (uriPort != -1 && (uriPort < 1 || uriPort > 65535)) {
      // java.net.URI accepts any number; 0 would silently become the default port.
      throw new InvalidSettingException("url", "'" + written + "' (expected: port 1-65535)");
    }
    String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
    if (!path.startsWith("/") || path.contains("/../") || path.contains("/./") || path.endsWith("/..")
        || path.endsWith("/.") || path.contains("//")) {
      throw new InvalidSettingException("url", "'" + written + "' (expected: a normalised path prefix)");
    }
    if (!path.endsWith("/")) {
      path = path + "/"; // a prefix is a directory: .../docker-group means .../docker-group/
    }
    return new UpstreamUrl(s, uriHost.toLowerCase(Locale.ROOT), uriPort > 0 ? uriPort : defaultPort(s), path);
  }

  private static int defaultPort(String scheme) {
    return scheme.equals("https") ? 443 : 80;
  }

  /** {@code scheme://host:port}, the port always given. */
  String origin() {
    return scheme + "://" + authority() + ":" + port;
  }

  /** One form per instance: the scheme's port left out, the prefix as normalised. */
  String normalized() {
    return scheme + "://" + authority() + (port == defaultPort(scheme) ? "" : ":" + port) + prefix;
  }

  private String authority() {
    return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
  }
}
