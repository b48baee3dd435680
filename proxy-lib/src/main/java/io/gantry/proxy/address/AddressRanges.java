package io.gantry.proxy.address;

import java.util.ArrayList;
import java.util.List;

/**
 * A list of {@link Cidr} blocks, checked in order; immutable.
 *
 * <pre>{@code
 * AddressRanges office = AddressRanges.parse(List.of("10.0.0.0/8", "fd00::/8"), "allowFrom");
 * office.contains("10.1.2.3");   // true
 * }</pre>
 */
public final class AddressRanges {
  /** No blocks: contains nothing. */
  public static final AddressRanges NONE = new AddressRanges(List.of());

  private final List<Cidr> blocks;

  private AddressRanges(List<Cidr> blocks) {
    this.blocks = List.copyOf(blocks);
  }

  /**
   * The blocks of {@code cidrs}; a bad one is refused with an {@link
   * io.gantry.proxy.validation.InvalidSettingException} naming {@code setting}.
   */
  public static AddressRanges parse(List<String> cidrs, String setting) {
    if (cidrs.isEmpty()) {
      return NONE;
    }
    List<Cidr> list = new ArrayList<>(cidrs.size());
    for (String c : cidrs) {
      list.add(Cidr.parse(c, setting));
    }
    return new AddressRanges(list);
  }

  public List<Cidr> blocks() {
    return blocks;
  }

  public boolean isEmpty() {
    return blocks.isEmpty();
  }

  /** Whether {@code address}, an IP literal, is in one of the blocks; {@code false} for anything else. */
  public boolean contains(String address) {
    if (blocks.isEmpty() || address == null) {
      return false;
    }
    byte[] bytes = Cidr.literal(address);
    return bytes != null && contains(bytes);
  }

  /** Whether {@code address} (bytes of {@link Cidr#literal}) is in one of the blocks. */
  public boolean contains(byte[] address) {
    for (int i = 0; i < blocks.size(); i++) {
      if (blocks.get(i).contains(address)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof AddressRanges r && r.blocks.equals(blocks);
  }

  @Override
  public int hashCode() {
    return blocks.hashCode();
  }

  /** {@code 10.0.0.0/8, fd00::/8}. */
  @Override
  public String toString() {
    return String.join(", ", blocks.stream().map(Cidr::toString).toList());
  }
}
