package dev.uat.observatory.model;

/**
 * Lowercase hexadecimal encoding of span and trace identifiers, as OTLP/JSON, W3C trace context and
 * the Jaeger API write them.
 */
public final class Ids {
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private Ids() {}

  /** The 16 lowercase hex characters of a 64-bit id. */
  public static String hex(long id) {
    char[] out = new char[16];
    writeHex(id, out, 0);
    return new String(out);
  }

  /** The 32 lowercase hex characters of a 128-bit id. */
  public static String hex(long high, long low) {
    char[] out = new char[32];
    writeHex(high, out, 0);
    writeHex(low, out, 16);
    return new String(out);
  }

  static void writeHex(long value, char[] out, int offset) {
    for (int i = 15; i >= 0; i--) {
      out[offset + i] = HEX[(int) (value & 0xF)];
      value >>>= 4;
    }
  }

  /**
   * Parses up to 16 hex characters (either case) of {@code s} between {@code from} and {@code to}.
   *
   * @throws IllegalArgumentException when the range is empty, longer than 16 or not hex
   */
  public static long parseHex(CharSequence s, int from, int to) {
    int length = to - from;
    if (length <= 0 || length > 16) {
      throw new IllegalArgumentException("expected 1 to 16 hex characters, got " + length);
    }
    long value = 0;
    for (int i = from; i < to; i++) {
      int digit = Character.digit(s.charAt(i), 16);
      if (digit < 0) {
        throw new IllegalArgumentException("not a hex character: '" + s.charAt(i) + "'");
      }
      value = (value << 4) | digit;
    }
    return value;
  }
}
