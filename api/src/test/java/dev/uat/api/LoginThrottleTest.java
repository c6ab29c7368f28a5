package dev.uat.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The login back-off and the limiters' byte budgets, on a clock of the test's own. */
class LoginThrottleTest {
  private final AtomicLong nanos = new AtomicLong(1);
  private final java.util.function.LongSupplier ticker = nanos::get;
  private final AtomicLong evicted = new AtomicLong();

  private void advance(Duration d) {
    nanos.addAndGet(d.toNanos());
  }

  @Test
  void backOffDoublesFromOneSecondToFifteenMinutesPerPair() {
    LoginThrottle t = new LoginThrottle(2, 1 << 20, ticker, evicted::addAndGet);
    assertThat(t.failed("a@x.io", "10.0.0.1")).isZero();
    assertThat(t.failed("a@x.io", "10.0.0.1")).isZero();
    assertThat(t.waitSeconds("a@x.io", "10.0.0.1")).isZero();
    long[] expected = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900};
    for (long seconds : expected) {
      assertThat(t.failed("a@x.io", "10.0.0.1")).isEqualTo(seconds);
      assertThat(t.waitSeconds("a@x.io", "10.0.0.1")).isEqualTo(seconds);
      assertThat(t.waitSeconds("a@x.io", "10.0.0.2")).isZero(); // another address: free
      assertThat(t.waitSeconds("b@x.io", "10.0.0.1")).isZero(); // another account: free
      advance(Duration.ofSeconds(seconds));
      assertThat(t.waitSeconds("a@x.io", "10.0.0.1")).isZero();
    }
    t.succeeded("a@x.io", "10.0.0.1");
    assertThat(t.failed("a@x.io", "10.0.0.1")).isZero(); // a success starts the pair afresh
  }

  @Test
  void ipv6AddressesAreLimitedByTheirSlash64() {
    assertThat(LoginThrottle.addressKey("2001:db8:1:2:aaaa::1"))
        .isEqualTo(LoginThrottle.addressKey("2001:db8:1:2:bbbb:cccc:dddd:eeee"))
        .isEqualTo("2001:db8:1:2::/64");
    assertThat(LoginThrottle.addressKey("2001:db8:1:3::1")).isNotEqualTo("2001:db8:1:2::/64");
    assertThat(LoginThrottle.addressKey("203.0.113.9")).isEqualTo("203.0.113.9");
  }

  @Test
  void pairsAreForgottenAnHourAfterTheirLastFailure() {
    LoginThrottle t = new LoginThrottle(1, 1 << 20, ticker, evicted::addAndGet);
    t.failed("a@x.io", "10.0.0.1");
    assertThat(t.failed("a@x.io", "10.0.0.1")).isEqualTo(1);
    advance(LoginThrottle.FORGET_AFTER.plusSeconds(1));
    assertThat(t.failed("a@x.io", "10.0.0.1")).isZero();
  }

  @Test
  void manyPairsStayWithinTheByteBudgetAndEvictionsAreCounted() {
    long budget = 64 * 1024;
    LoginThrottle t = new LoginThrottle(3, budget, ticker, evicted::addAndGet);
    for (int i = 0; i < 5_000; i++) {
      t.failed("user" + i + "@example.com", "2001:db8::" + Integer.toHexString(i));
    }
    assertThat(t.weightedBytes()).isLessThanOrEqualTo(budget);
    assertThat(evicted.get()).isGreaterThan(4_000);
  }

  @Test
  void rateLimiterBucketsStayWithinTheByteBudget() {
    long budget = 32 * 1024;
    RateLimiter r = new RateLimiter(5, Duration.ofMinutes(1), budget, ticker, evicted::addAndGet);
    for (int i = 0; i < 2_000; i++) {
      assertThat(r.acquire("203.0.113." + i)).isZero();
    }
    assertThat(r.weightedBytes()).isLessThanOrEqualTo(budget);
    assertThat(evicted.get()).isGreaterThan(1_500);
    for (int i = 0; i < 5; i++) {
      assertThat(r.acquire("one")).isZero();
    }
    assertThat(r.acquire("one")).isEqualTo(12); // 5 a minute: one more in 12 s
  }
}
