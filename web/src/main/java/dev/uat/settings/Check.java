package dev.uat.settings;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * The checks settings records run in their compact constructors, so that a wrong value fails at
 * start-up with a message naming the setting.
 */
public final class Check {
  private Check() {}

  /** {@code d} is set and longer than zero. */
  public static Duration positive(Duration d, String name) {
    requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive: " + d);
    }
    return d;
  }

  /** {@code value >= min}. */
  public static long atLeast(long value, long min, String name) {
    if (value < min) {
      throw new IllegalArgumentException(name + " must be at least " + min + ": " + value);
    }
    return value;
  }

  /** {@code 0..65535}; 0 means any free port. */
  public static int port(int port, String name) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(name + " must be a port (0 to 65535): " + port);
    }
    return port;
  }
}
