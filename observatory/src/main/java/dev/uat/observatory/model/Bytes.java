package dev.uat.observatory.model;

import static java.util.Objects.requireNonNull;

import java.util.Arrays;
import java.util.Base64;

/** An immutable byte string: the value of an OTLP {@code bytes_value} attribute. */
public final class Bytes {
  private static final Bytes EMPTY = new Bytes(new byte[0]);

  private final byte[] bytes;

  private Bytes(byte[] bytes) {
    this.bytes = bytes;
  }

  /** A copy of {@code bytes}. */
  public static Bytes of(byte[] bytes) {
    return copyOf(requireNonNull(bytes, "bytes"), 0, bytes.length);
  }

  /** A copy of {@code length} bytes of {@code buffer} from {@code offset}. */
  public static Bytes copyOf(byte[] buffer, int offset, int length) {
    return length == 0 ? EMPTY : new Bytes(Arrays.copyOfRange(buffer, offset, offset + length));
  }

  public int length() {
    return bytes.length;
  }

  /** A copy of the bytes. */
  public byte[] toByteArray() {
    return bytes.clone();
  }

  /** Standard Base64 with padding, as JSON carries bytes. */
  public String toBase64() {
    return Base64.getEncoder().encodeToString(bytes);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Bytes other && Arrays.equals(bytes, other.bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }

  @Override
  public String toString() {
    return "Bytes{" + toBase64() + "}";
  }
}
