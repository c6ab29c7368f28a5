package dev.uat.observatory.metrics;

/**
 * The duration histogram's bucket bounds, in microseconds. They include every bound of the
 * OpenTelemetry spanmetrics connector's default buckets (2, 4, 6, 8, 10, 50, 100, 200, 400, 800,
 * 1000, 1400, 2000, 5000, 10000, 15000 ms), so its buckets can be summed from ours exactly.
 */
public final class Buckets {
  /** Upper bounds (inclusive), microseconds; a last bucket holds everything above. */
  static final long[] BOUNDS_MICROS = {
    100,
    250,
    500,
    1_000,
    2_000,
    3_000,
    4_000,
    5_000,
    6_000,
    8_000,
    10_000,
    15_000,
    20_000,
    25_000,
    30_000,
    40_000,
    50_000,
    60_000,
    75_000,
    100_000,
    125_000,
    150_000,
    200_000,
    250_000,
    300_000,
    400_000,
    500_000,
    650_000,
    800_000,
    1_000_000,
    1_400_000,
    2_000_000,
    3_000_000,
    5_000_000,
    7_500_000,
    10_000_000,
    15_000_000,
    30_000_000,
    60_000_000
  };

  /** Number of buckets, the overflow bucket included. */
  public static final int COUNT = BOUNDS_MICROS.length + 1;

  /** The spanmetrics connector's default bounds, milliseconds. */
  public static final java.util.List<Double> SPANMETRICS_MILLIS =
      java.util.List.of(
          2.0, 4.0, 6.0, 8.0, 10.0, 50.0, 100.0, 200.0, 400.0, 800.0, 1000.0, 1400.0, 2000.0,
          5000.0, 10000.0, 15000.0);

  private Buckets() {}

  /** The bucket of a duration. */
  static int index(long micros) {
    int lo = 0;
    int hi = BOUNDS_MICROS.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (BOUNDS_MICROS[mid] < micros) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /**
   * The {@code q} quantile (0..1) of a histogram, in milliseconds, interpolated linearly inside its
   * bucket as Prometheus' {@code histogram_quantile} does; NaN for an empty histogram.
   */
  public static double quantileMillis(long[] counts, double q) {
    long total = 0;
    for (long c : counts) {
      total += c;
    }
    if (total == 0) {
      return Double.NaN;
    }
    double rank = q * total;
    long cumulative = 0;
    for (int i = 0; i < counts.length; i++) {
      if (cumulative + counts[i] >= rank && counts[i] > 0) {
        if (i == BOUNDS_MICROS.length) {
          return BOUNDS_MICROS[i - 1] / 1000.0; // above the last bound: report the bound
        }
        double lower = i == 0 ? 0 : BOUNDS_MICROS[i - 1];
        double upper = BOUNDS_MICROS[i];
        double within = (rank - cumulative) / counts[i];
        return (lower + (upper - lower) * within) / 1000.0;
      }
      cumulative += counts[i];
    }
    return BOUNDS_MICROS[BOUNDS_MICROS.length - 1] / 1000.0;
  }
}
