package dev.uat.realtime;

import java.time.Duration;
import java.util.List;

/**
 * Redis's wall clock as this process estimates it: one {@code TIME} answer, placed at the middle of
 * its round trip on this process's monotonic clock ({@code nanoTime}) and carried forward by it. So
 * a step of this process's wall clock changes nothing; a step of Redis's clock is seen at the next
 * measurement (every {@link RedisEventBus#CLOCK_CHECK_INTERVAL}, and after Redis refused an event
 * as late). The estimate's error is at most half the round trip of the measurement it rests on: one
 * whose round trip passed {@link #MAX_ROUND_TRIP} (Redis busy with a backlog) is not believed,
 * except the first. Thread-safe: one immutable sample, replaced whole.
 */
final class RedisClock {
  /** Longest round trip whose measurement is believed, once one has been. */
  static final Duration MAX_ROUND_TRIP = Duration.ofMillis(200);

  private record Sample(long redisMillis, long atNanos) {}

  private volatile Sample sample;

  /**
   * Takes one measurement: Redis answered {@code time} (its {@code TIME}: seconds, microseconds) to
   * a request sent at {@code sentNanos} and answered at {@code receivedNanos} ({@code nanoTime}).
   *
   * @return whether it was believed
   */
  boolean measured(long sentNanos, long receivedNanos, List<String> time) {
    long roundTrip = receivedNanos - sentNanos;
    if (sample != null && roundTrip > MAX_ROUND_TRIP.toNanos()) {
      return false;
    }
    long redisMillis = Long.parseLong(time.get(0)) * 1000 + Long.parseLong(time.get(1)) / 1000;
    sample = new Sample(redisMillis, sentNanos + roundTrip / 2);
    return true;
  }

  /** Whether a measurement has been believed. */
  boolean known() {
    return sample != null;
  }

  /** Redis's time now, in ms since the epoch, at {@code nowNanos} ({@code nanoTime}). */
  long millisAt(long nowNanos) {
    Sample s = sample;
    if (s == null) {
      throw new IllegalStateException("Redis's clock has not been measured");
    }
    return s.redisMillis() + Math.floorDiv(nowNanos - s.atNanos(), 1_000_000L);
  }
}
