package dev.uat.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class LogThrottleTest {
  private static final long SECOND = 1_000_000_000L;

  /** A clock that moves only when told; starts at an arbitrary nanoTime-like value. */
  private final AtomicLong now = new AtomicLong(-42 * SECOND);

  private final LogThrottle throttle = new LogThrottle(Duration.ofSeconds(10), now::get);

  @Test
  void firstOccurrenceIsLoggedThenOneLineEveryIntervalCountingTheRest() {
    assertThat(throttle.occurred()).as("the first, at once").isEqualTo(1);
    for (int i = 0; i < 5; i++) {
      assertThat(throttle.occurred()).isZero();
    }
    now.addAndGet(10 * SECOND - 1);
    assertThat(throttle.occurred()).as("1 ns before the interval").isZero();
    now.addAndGet(1);
    assertThat(throttle.occurred()).as("the 5 + 1 held back, and this one").isEqualTo(7);
    assertThat(throttle.occurred()).isZero();
    now.addAndGet(60 * SECOND);
    assertThat(throttle.occurred())
        .as("a long quiet time lets one through, not several")
        .isEqualTo(2);
    assertThat(throttle.occurred()).isZero();
  }

  @Test
  void theIntervalRunsFromTheLastLineNotFromTheFirstOccurrence() {
    assertThat(throttle.occurred()).isEqualTo(1);
    now.addAndGet(25 * SECOND);
    assertThat(throttle.occurred()).isEqualTo(1);
    now.addAndGet(9 * SECOND);
    assertThat(throttle.occurred()).as("9 s after the last line").isZero();
    now.addAndGet(SECOND);
    assertThat(throttle.occurred()).isEqualTo(2);
  }

  @Test
  void aClockNearOverflowStillWorks() {
    now.set(Long.MAX_VALUE - 5 * SECOND);
    LogThrottle t = new LogThrottle(Duration.ofSeconds(10), now::get);
    assertThat(t.occurred()).isEqualTo(1);
    now.addAndGet(10 * SECOND); // wraps, as System.nanoTime may
    assertThat(t.occurred()).isEqualTo(1);
    assertThat(t.occurred()).isZero();
  }

  @Test
  @Timeout(10)
  void concurrentCallersLetOneLineThroughPerIntervalAndCountEveryOccurrenceOnce() throws Exception {
    int threads = 8;
    int each = 20_000;
    LongAdder lines = new LongAdder();
    LongAdder counted = new LongAdder();
    CountDownLatch go = new CountDownLatch(1);
    List<Thread> started = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      started.add(
          Thread.ofPlatform()
              .start(
                  () -> {
                    try {
                      go.await();
                    } catch (InterruptedException e) {
                      throw new AssertionError(e);
                    }
                    for (int j = 0; j < each; j++) {
                      long n = throttle.occurred();
                      if (n > 0) {
                        lines.increment();
                        counted.add(n);
                      }
                      if (j == each / 2) {
                        // every thread moves the clock once: 8 intervals pass in all
                        now.addAndGet(10 * SECOND);
                      }
                    }
                  }));
    }
    go.countDown();
    for (Thread t : started) {
      t.join();
    }
    assertThat(lines.sum()).as("the first line and at most one per interval").isBetween(1L, 9L);
    // after everything, one more interval: the last line carries the rest
    now.addAndGet(10 * SECOND);
    long last = throttle.occurred();
    assertThat(counted.sum() + last).isEqualTo((long) threads * each + 1);
  }

  @Test
  void theIntervalMustBePositive() {
    assertThatThrownBy(() -> new LogThrottle(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new LogThrottle(null)).isInstanceOf(NullPointerException.class);
    assertThat(new LogThrottle().interval()).isEqualTo(LogThrottle.DEFAULT_INTERVAL);
  }
}
