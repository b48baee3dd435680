package io.gantry.proxy.path;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a raw request path into the one form gantry matches and forwards, or refuses it.
 *
 * <p>gantry sits in front of Jetty (Nexus) and Tomcat backends, which read paths differently from
 * RFC 3986: they strip {@code ;params} before resolving dot segments ({@code ..;} is {@code ..}),
 * and some decode {@code %2F} or a backslash into a separator. So the normaliser resolves every
 * reading that could climb, and refuses what it cannot make unambiguous:
 *
 * <ul>
 *   <li>dot segments are resolved, also when percent-encoded ({@code %2e}, {@code %2E}) or carrying
 *       parameters ({@code ..;x}, {@code .;}); a path that would climb above {@code /} is refused;
 *   <li>backslashes (raw or {@code %5C}), double encoding ({@code %25} followed by two hex digits),
 *       control characters and malformed escapes are refused;
 *   <li>{@code %2F} is kept as an encoded slash (routes refuse it unless they allow encoded
 *       slashes), but a segment that would contain a dot segment once decoded is refused;
 *   <li>empty segments ({@code //}) are dropped; escapes of unreserved characters are decoded
 *       ({@code %76%32} is {@code v2}), other escapes get upper-case hex (RFC 3986 6.2.2).
 * </ul>
 *
 * <p>The result starts with {@code /}, keeps a trailing slash, and stays inside any prefix it is
 * appended to, whichever of those readings the backend applies.
 */
public final class PathNormalizer {
  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private PathNormalizer() {}

  /**
   * Normalises {@code rawPath} (percent-encoded, as received).
   *
   * @throws UnsafePathException with the reason, when the path must be refused
   */
  public static String normalize(String rawPath) throws UnsafePathException {
    if (rawPath == null || rawPath.isEmpty()) {
      return "/";
    }
    if (rawPath.charAt(0) != '/') {
      throw new UnsafePathException("path must start with '/'");
    }
    if (isAlreadyNormal(rawPath)) {
      return rawPath;
    }
    List<String> segments = new ArrayList<>();
    boolean trailingSlash = false;
    int start = 1;
    int length = rawPath.length();
    while (start <= length) {
      int end = rawPath.indexOf('/', start);
      if (end < 0) {
        end = length;
      }
      boolean last = end == length;
      String segment = canonicalSegment(rawPath, start, end);
      switch (classify(segment)) {
        case EMPTY -> trailingSlash = last;
        case DOT -> trailingSlash = true;
        case DOT_DOT -> {
          if (segments.isEmpty()) {
            throw new UnsafePathException("path climbs above '/'");
          }
          segments.remove(segments.size() - 1);
          trailingSlash = true;
        }
        default -> {
          segments.add(segment);
          trailingSlash = false;
        }
      }
      start = end + 1;
    }
    StringBuilder out = new StringBuilder(length);
    for (String s : segments) {
      out.append('/').append(s);
    }
    if (trailingSlash || out.length() == 0) {
      out.append('/');
    }
    return out.toString();
  }

  /** The common case: plain characters only, no dots starting a segment, no escapes, no '//'. */
  private static boolean isAlreadyNormal(String path) {
    char previous = '/';
    for (int i = 1; i < path.length(); i++) {
      char c = path.charAt(i);
      if (previous == '/' && (c == '/' || c == '.')) {
        return false;
      }
      if (!isPlain(c)) {
        return false;
      }
      previous = c;
    }
    return true;
  }

  /** Characters a path may carry literally and that no backend reads specially. */
  private static boolean isPlain(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || c == '/' || c == '-' || c == '.' || c == '_' || c == '~' || c == ':' || c == '@'
        || c == '!' || c == '$' || c == '&' || c == '\'' || c == '(' || c == ')' || c == '*'
        || c == '+' || c == ',' || c == '=';
  }

  private static boolean isUnreserved(int c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || c == '-' || c == '.' || c == '_' || c == '~';
  }

  /** One segment in canonical encoding; refuses what no backend may see. */
  private static String canonicalSegment(String raw, int start, int end) throws UnsafePathException {
    StringBuilder b = new StringBuilder(end - start);
    boolean encodedSlash = false;
    for (int i = start; i < end; i++) {
      char c = raw.charAt(i);
      if (c == '%') {
        if (i + 2 >= end) {
          throw new UnsafePathException("malformed percent-encoding");
        }
        int hi = Character.digit(raw.charAt(i + 1), 16);
        int lo = Character.digit(raw.charAt(i + 2), 16);
        if (hi < 0 || lo < 0) {
          throw new UnsafePathException("malformed percent-encoding");
        }
        int value = hi * 16 + lo;
        if (value < 0x20 || value == 0x7f) {
          throw new UnsafePathException("encoded control character");
        }
        if (value == '\\') {
          throw new UnsafePathException("encoded backslash");
        }
        if (value == '%' && i + 4 < end && Character.digit(raw.charAt(i + 3), 16) >= 0
            && Character.digit(raw.charAt(i + 4), 16) >= 0) {
          throw new UnsafePathException("double percent-encoding");
        }
        if (value == '/') {
          encodedSlash = true;
        }
        if (isUnreserved(value)) {
          b.append((char) value);
        } else {
          b.append('%').append(HEX[hi]).append(HEX[lo]);
        }
        i += 2;
      } else if (c == '\\') {
        throw new UnsafePathException("backslash in path");
      } else if (c < 0x20 || c == 0x7f) {
        throw new UnsafePathException("control character in path");
      } else if (isPlain(c) || c == ';') {
        b.append(c);
      } else {
        // A code point, not a char: a supplementary character is a surrogate pair, and one
        // surrogate alone encodes to '?'.
        int codePoint = raw.codePointAt(i);
        for (byte x : new String(Character.toChars(codePoint)).getBytes(StandardCharsets.UTF_8)) {
          b.append('%').append(HEX[(x >> 4) & 0xf]).append(HEX[x & 0xf]);
        }
        i += Character.charCount(codePoint) - 1;
      }
    }
    String segment = b.toString();
    if (hasDoubleEncoding(segment)) {
      // Also when assembled from decoded unreserved escapes: %25%32%65 is %252e once canonical.
      throw new UnsafePathException("double percent-encoding");
    }
    if (encodedSlash || segment.indexOf('%') >= 0) {
      refuseHiddenDotSegments(segment);
    }
    return segment;
  }

  /** Whether a canonical segment holds {@code %25} followed by two hex digits. */
  private static boolean hasDoubleEncoding(String segment) {
    for (int i = segment.indexOf("%25"); i >= 0; i = segment.indexOf("%25", i + 1)) {
      if (i + 4 < segment.length() && Character.digit(segment.charAt(i + 3), 16) >= 0
          && Character.digit(segment.charAt(i + 4), 16) >= 0) {
        return true;
      }
    }
    return false;
  }

  /**
   * A backend that decodes once before resolving dot segments (or splits on a decoded %2F) must
   * not find a dot segment gantry did not see.
   */
  private static void refuseHiddenDotSegments(String segment) throws UnsafePathException {
    String decoded = decode(segment);
    for (String piece : decoded.split("/", -1)) {
      Kind kind = classify(piece);
      if (kind == Kind.DOT || kind == Kind.DOT_DOT) {
        throw new UnsafePathException("encoded dot segment");
      }
    }
  }

  private enum Kind { EMPTY, DOT, DOT_DOT, NAME }

  /** Classifies a segment as Jetty and Tomcat would, with {@code ;params} removed. */
  private static Kind classify(String segment) {
    int semicolon = segment.indexOf(';');
    int n = semicolon < 0 ? segment.length() : semicolon;
    if (n == 0) {
      return Kind.EMPTY;
    }
    if (n == 1 && segment.charAt(0) == '.') {
      return Kind.DOT;
    }
    if (n == 2 && segment.charAt(0) == '.' && segment.charAt(1) == '.') {
      return Kind.DOT_DOT;
    }
    return Kind.NAME;
  }

  private static String decode(String segment) {
    StringBuilder b = new StringBuilder(segment.length());
    for (int i = 0; i < segment.length(); i++) {
      char c = segment.charAt(i);
      if (c == '%' && i + 2 < segment.length()) {
        b.append((char) Integer.parseInt(segment.substring(i + 1, i + 3), 16));
        i += 2;
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }
}
