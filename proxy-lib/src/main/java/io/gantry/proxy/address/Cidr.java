package io.gantry.proxy.address;

import io.gantry.proxy.validation.InvalidSettingException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * An IPv4 or IPv6 address block ({@code 10.0.0.0/8}, {@code fd00::/8}, or one address), parsed
 * without DNS. Used for trusted proxies and per-route client address rules.
 *
 * <pre>{@code
 * Cidr office = Cidr.parse("192.168.1.0/24", "allowFrom");
 * office.contains(Cidr.literal("192.168.1.7"));   // true
 * }</pre>
 *
 * @param network the block's address bytes (4 or 16)
 * @param bits the prefix length
 * @param text the block as written (trimmed, lower case)
 */
public record Cidr(byte[] network, int bits, String text) {
  private static final Pattern DOTTED_QUAD =
      Pattern.compile("((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])");

  public Cidr {
    network = network.clone();
  }

  /** A copy of the block's address bytes. */
  @Override
  public byte[] network() {
    return network.clone();
  }

  /**
   * Parses {@code text}; a refusal is an {@link InvalidSettingException} naming {@code setting}.
   */
  public static Cidr parse(String text, String setting) {
    if (text == null) {
      throw new InvalidSettingException(setting, "null (expected: an IP address or CIDR such as 10.0.0.0/8)");
    }
    String t = text.trim();
    int slash = t.indexOf('/');
    byte[] address = literal(slash < 0 ? t : t.substring(0, slash));
    if (address == null) {
      throw new InvalidSettingException(setting, "'" + text + "' (expected: an IP address or CIDR such as 10.0.0.0/8)");
    }
    int bits = address.length * 8;
    if (slash >= 0) {
      try {
        bits = Integer.parseInt(t.substring(slash + 1));
      } catch (NumberFormatException e) {
        bits = -1;
      }
      if (bits < 0 || bits > address.length * 8) {
        throw new InvalidSettingException(setting, "'" + text + "' (expected: prefix length 0-" + address.length * 8 + ")");
      }
    }
    return new Cidr(address, bits, t.toLowerCase(Locale.ROOT));
  }

  /** Whether {@code address} (bytes of {@link #literal}) is in this block; IPv4 never matches IPv6. */
  public boolean contains(byte[] address) {
    if (address.length != network.length) {
      return false;
    }
    int full = bits / 8;
    for (int i = 0; i < full; i++) {
      if (address[i] != network[i]) {
        return false;
      }
    }
    int rest = bits % 8;
    if (rest == 0) {
      return true;
    }
    int mask = (0xff << (8 - rest)) & 0xff;
    return (address[full] & mask) == (network[full] & mask);
  }

  /**
   * Parses an IP literal ({@code 10.1.2.3}, {@code ::1}, {@code [::1]}) without DNS; {@code null}
   * if it is not one. An IPv4-mapped IPv6 address ({@code ::ffff:10.1.2.3}) reads as IPv4.
   */
  public static byte[] literal(String text) {
    if (text == null) {
      return null;
    }
    String t = text.startsWith("[") && text.endsWith("]") ? text.substring(1, text.length() - 1) : text;
    if (t.isEmpty() || !(t.indexOf(':') >= 0 || Character.isDigit(t.charAt(0)))) {
      return null;
    }
    for (int i = 0; i < t.length(); i++) {
      char c = t.charAt(i);
      if (!(Character.digit(c, 16) >= 0 || c == '.' || c == ':' || c == '%')) {
        return null;
      }
    }
    // Without a colon only a dotted quad: InetAddress also reads the legacy forms ("10" is
    // 0.0.0.10, so "10/8" would match 0.0.0.0/8) and resolves anything else through DNS.
    if (t.indexOf(':') < 0 && !DOTTED_QUAD.matcher(t).matches()) {
      return null;
    }
    try {
      return InetAddress.getByName(t).getAddress(); // a literal: no lookup happens
    } catch (UnknownHostException e) {
      return null;
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Cidr c && c.bits == bits && Arrays.equals(c.network, network);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(network) * 31 + bits;
  }

  @Override
  public String toString() {
    return text;
  }
}
