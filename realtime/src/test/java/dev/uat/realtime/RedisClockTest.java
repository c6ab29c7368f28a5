package dev.uat.realtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class RedisClockTest {
  private static final long MS = 1_000_000L;

  /** Redis's TIME answer for {@code millis} since the epoch. */
  private static List<String> time(long millis) {
    return List.of(Long.toString(millis / 1000), Long.toString(millis % 1000 * 1000 + 456));
  }

  @Test
  void redisTimeIsPlacedAtTheMiddleOfTheRoundTripAndCarriedForwardByTheMonotonicClock() {
    RedisClock clock = new RedisClock();

    // sent at 1,000 ms, answered at 1,100 ms (this process's nanoTime), Redis said 5,000,000 ms
    assertThat(clock.measured(1_000 * MS, 1_100 * MS, time(5_000_000))).isTrue();

    assertThat(clock.millisAt(1_050 * MS)).isEqualTo(5_000_000);
    assertThat(clock.millisAt(61_050 * MS)).isEqualTo(5_060_000);
    // this process's wall clock plays no part: nothing here reads it
  }

  @Test
  void aSlowMeasurementIsNotBelievedOnceAQuickOneWas() {
    RedisClock clock = new RedisClock();
    clock.measured(0, 10 * MS, time(1_000_000));

    boolean believed = clock.measured(1_000 * MS, 1_000 * MS + 201 * MS, time(9_000_000));

    assertThat(believed).isFalse();
    assertThat(clock.millisAt(5 * MS)).isEqualTo(1_000_000);
  }

  @Test
  void theFirstMeasurementIsBelievedWhateverItTook() {
    RedisClock clock = new RedisClock();
    assertThat(clock.known()).isFalse();
    assertThatThrownBy(() -> clock.millisAt(0)).isInstanceOf(IllegalStateException.class);

    assertThat(clock.measured(0, 2_000 * MS, time(7_000_000))).isTrue();

    assertThat(clock.known()).isTrue();
    assertThat(clock.millisAt(1_000 * MS)).isEqualTo(7_000_000);
  }

  @Test
  void aStepOfRedisClockIsFollowedAtTheNextMeasurement() {
    RedisClock clock = new RedisClock();
    clock.measured(0, 2 * MS, time(1_000_000));

    clock.measured(100 * MS, 102 * MS, time(900_000)); // Redis's clock stepped back 100 s

    assertThat(clock.millisAt(101 * MS)).isEqualTo(900_000);
  }
}
