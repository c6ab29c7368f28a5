package dev.uat.observatory.query;

/**
 * Parses durations written as Go's {@code time.ParseDuration} reads them ({@code 300ms}, {@code
 * 1.5h}, {@code 2h45m}, units {@code ns us µs ms s m h}), as the Jaeger API takes them.
 */
final class GoDuration {
  private GoDuration() {}

  /**
   * @return nanoseconds
   * @throws IllegalArgumentException naming what is wrong
   */
  static long parseNanos(String text) {
    String s = text.trim();
    if (s.isEmpty() || s.length() > 64) {
      throw new IllegalArgumentException("invalid duration '" + text + "'");
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
        throw new IllegalArgumentException("invalid duration '" + text + "'");
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
      long unit =
          switch (s.substring(unitStart, i)) {
            case "ns" -> 1L;
            case "us", "µs", "μs" -> 1_000L;
            case "ms" -> 1_000_000L;
            case "s" -> 1_000_000_000L;
            case "m" -> 60_000_000_000L;
            case "h" -> 3_600_000_000_000L;
            case "" ->
                throw new IllegalArgumentException(
                    "missing unit in duration '" + text + "' (ns, us, ms, s, m, h)");
            default ->
                throw new IllegalArgumentException(
                    "unknown unit '"
                        + s.substring(unitStart, i)
                        + "' in duration '"
                        + text
                        + "' (ns, us, ms, s, m, h)");
          };
      total += number * unit;
      any = true;
    }
    if (!any || total > Long.MAX_VALUE) {
      throw new IllegalArgumentException("invalid duration '" + text + "'");
    }
    long nanos = Math.round(total);
    return negative ? -nanos : nanos;
  }
}
