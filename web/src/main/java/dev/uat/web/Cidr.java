package dev.uat.web;

import static java.util.Objects.requireNonNull;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * A block of IP addresses ({@code 10.0.0.0/8}, {@code ::1}, {@code 192.168.1.7}). Parsing never
 * resolves a name: only IP literals are accepted, so an address taken from a header cannot make the
 * process ask DNS. Immutable.
 *
 * @param network the block's first address, in network byte order (4 or 16 bytes)
 * @param prefixBits how many leading bits of an address must match {@code network}
 */
public record Cidr(byte[] network, int prefixBits) {
  public Cidr {
    requireNonNull(network, "network");
    if (network.length != 4 && network.length != 16) {
      throw new IllegalArgumentException("network must be 4 or 16 bytes");
    }
    if (prefixBits < 0 || prefixBits > network.length * 8) {
      throw new IllegalArgumentException("prefix out of range: " + prefixBits);
    }
    network = network.clone();
  }

  /** Parses {@code address[/bits]}; throws {@link IllegalArgumentException} naming the input. */
  public static Cidr parse(String text) {
    String s = requireNonNull(text, "text").trim();
    int slash = s.indexOf('/');
    String address = slash < 0 ? s : s.substring(0, slash);
    byte[] bytes =
        literal(address)
            .orElseThrow(
                () -> new IllegalArgumentException("not an IP address or CIDR block: " + text));
    int bits = bytes.length * 8;
    if (slash >= 0) {
      try {
        bits = Integer.parseInt(s.substring(slash + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("not a CIDR prefix length: " + text);
      }
      if (bits < 0 || bits > bytes.length * 8) {
        throw new IllegalArgumentException("CIDR prefix length out of range: " + text);
      }
    }
    return new Cidr(bytes, bits);
  }

  /** Parses a comma-separated list; blank gives an empty list. */
  public static List<Cidr> parseList(String text) {
    List<Cidr> out = new ArrayList<>();
    if (text != null) {
      for (String part : text.split(",")) {
        if (!part.isBlank()) {
          out.add(parse(part));
        }
      }
    }
    return List.copyOf(out);
  }

  /** Whether {@code address} (an IP literal) lies in this block; false for anything else. */
  public boolean contains(String address) {
    return literal(address).map(this::contains).orElse(false);
  }

  boolean contains(byte[] address) {
    byte[] a = address;
    if (a.length != network.length) {
      if (a.length == 16 && network.length == 4 && isV4Mapped(a)) {
        a = Arrays.copyOfRange(a, 12, 16);
      } else {
        return false;
      }
    }
    int full = prefixBits / 8;
    for (int i = 0; i < full; i++) {
      if (a[i] != network[i]) {
        return false;
      }
    }
    int rest = prefixBits % 8;
    if (rest == 0) {
      return true;
    }
    int mask = 0xff << (8 - rest) & 0xff;
    return (a[full] & mask) == (network[full] & mask);
  }

  private static boolean isV4Mapped(byte[] a) {
    for (int i = 0; i < 10; i++) {
      if (a[i] != 0) {
        return false;
      }
    }
    return a[10] == (byte) 0xff && a[11] == (byte) 0xff;
  }

  /** The bytes of an IPv4 or IPv6 literal (brackets and a zone allowed), or empty; never DNS. */
  public static Optional<byte[]> literal(String address) {
    if (address == null) {
      return Optional.empty();
    }
    String s = address.trim();
    if (s.startsWith("[") && s.endsWith("]")) {
      s = s.substring(1, s.length() - 1);
    }
    if (s.isEmpty() || s.length() > 64) {
      return Optional.empty();
    }
    if (s.indexOf(':') < 0) {
      return ipv4(s);
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok =
          c == ':' || c == '.' || c == '%' || Character.digit(c, 16) >= 0 || c == '_' || c == '-';
      if (!ok) {
        return Optional.empty();
      }
    }
    try { // with a ':' in it, InetAddress parses a literal and never asks DNS
      return Optional.of(InetAddress.getByName(s).getAddress());
    } catch (UnknownHostException | SecurityException e) {
      return Optional.empty();
    }
  }

  private static Optional<byte[]> ipv4(String s) {
    String[] parts = s.split("\\.", -1);
    if (parts.length != 4) {
      return Optional.empty();
    }
    byte[] out = new byte[4];
    for (int i = 0; i < 4; i++) {
      String p = parts[i];
      if (p.isEmpty() || p.length() > 3) {
        return Optional.empty();
      }
      int v = 0;
      for (int j = 0; j < p.length(); j++) {
        char c = p.charAt(j);
        if (c < '0' || c > '9') {
          return Optional.empty();
        }
        v = v * 10 + (c - '0');
      }
      if (v > 255) {
        return Optional.empty();
      }
      out[i] = (byte) v;
    }
    return Optional.of(out);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Cidr c && prefixBits == c.prefixBits && Arrays.equals(network, c.network);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(network) + prefixBits;
  }

  @Override
  public String toString() {
    try {
      return InetAddress.getByAddress(network).getHostAddress() + "/" + prefixBits;
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }
}
