package dev.uat.observatory.model;

import static java.util.Objects.requireNonNull;

/**
 * A 128-bit trace id as two longs (big-endian: {@code high} holds the first eight bytes).
 *
 * @param high the first 64 bits; 0 for a 64-bit (Zipkin style) trace id
 * @param low the last 64 bits
 */
public record TraceId(long high, long low) {
  public TraceId {
    if (high == 0 && low == 0) {
      throw new IllegalArgumentException("a trace id must not be all zeros");
    }
  }

  /**
   * Parses 1 to 32 hex characters (either case); shorter ids are left-padded with zeros, as the
   * Jaeger API does for 64-bit trace ids.
   *
   * @throws IllegalArgumentException when {@code hex} is empty, too long, not hex or all zeros
   */
  public static TraceId parse(String hex) {
    requireNonNull(hex, "hex");
    int length = hex.length();
    if (length == 0 || length > 32) {
      throw new IllegalArgumentException(
          "a trace id has 1 to 32 hex characters, got " + length + " characters");
    }
    int split = Math.max(0, length - 16);
    long high = split == 0 ? 0 : Ids.parseHex(hex, 0, split);
    long low = Ids.parseHex(hex, split, length);
    return new TraceId(high, low);
  }

  /** The 32 lowercase hex characters (the W3C and OTLP form). */
  public String toHex() {
    return Ids.hex(high, low);
  }

  @Override
  public String toString() {
    return toHex();
  }
}
