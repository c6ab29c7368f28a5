package dev.uat.settings;

import java.time.Duration;

/**
 * The one duration syntax of every setting, rule file and query parameter: Go's {@code
 * time.ParseDuration} (as Prometheus, Jaeger and the Collector write durations) — {@code 300ms},
 * {@code 1.5h}, {@code 2h45m}, units {@code ns us µs ms s m h}, plus {@code d} for days. A lone
 * {@code 0} is zero; any other number needs a unit.
 */
public final class Durations {
  private static final int MAX_LENGTH = 64;

  private Durations() {}

  /**
   * @throws IllegalArgumentException naming what is wrong
   */
  public static Duration parse(String text) {
    return Duration.ofNanos(parseNanos(text));
  }

  /** As {@link #parse}, refusing negative durations. */
  public static Duration parseNonNegative(String text) {
    long nanos = parseNanos(text);
    if (nanos < 0) {
      throw new IllegalArgumentException("duration '" + text + "' must not be negative");
    }
    return Duration.ofNanos(nanos);
  }

  /**
   * @return nanoseconds
   * @throws IllegalArgumentException naming what is wrong
   */
  public static long parseNanos(String text) {
    String s = text == null ? "" : text.strip();
    if (s.isEmpty() || s.length() > MAX_LENGTH) {
      throw new IllegalArgumentException(
          "invalid duration '" + text + "' (e.g. 250ms, 30s, 1h30m)");
    }
    boolean negative = false;
    int i = 0;
    if (s.charAt(0) == '-' || s.charAt(0) == '+') {
      negative = s.charAt(0) == '-';
      i++;
    }
    if (s.substring(i).equals("0")) {
      return 0;
    }
    double total = 0;
    boolean any = false;
    while (i < s.length()) {
      int numberStart = i;
      while (i < s.length() && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '.')) {
        i++;
      }
      if (i == numberStart) {
        throw new IllegalArgumentException(
            "invalid duration '" + text + "' (e.g. 250ms, 30s, 1h30m)");
      }
      double number;
      try {
        number = Double.parseDouble(s.substring(numberStart, i));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("invalid duration '" + text + "'");
      }
      int unitStart = i;
      while (i < s.length() && !Character.isDigit(s.charAt(i)) && s.charAt(i) != '.') {
        i++;
      }
      String unit = s.substring(unitStart, i);
      total += number * nanosPer(unit, text);
      any = true;
    }
    if (!any || total > Long.MAX_VALUE) {
      throw new IllegalArgumentException("invalid duration '" + text + "'");
    }
    long nanos = Math.round(total);
    return negative ? -nanos : nanos;
  }

  private static long nanosPer(String unit, String text) {
    return switch (unit) {
      case "ns" -> 1L;
      case "us", "µs", "μs" -> 1_000L;
      case "ms" -> 1_000_000L;
      case "s" -> 1_000_000_000L;
      case "m" -> 60_000_000_000L;
      case "h" -> 3_600_000_000_000L;
      case "d" -> 86_400_000_000_000L;
      case "" ->
          throw new IllegalArgumentException(
              "missing unit in duration '" + text + "' (ns, us, ms, s, m, h, d)");
      default ->
          throw new IllegalArgumentException(
              "unknown unit '" + unit + "' in duration '" + text + "' (ns, us, ms, s, m, h, d)");
    };
  }
}
