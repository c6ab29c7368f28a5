package dev.uat.api;

import dev.uat.web.Cidr;
import java.time.Duration;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

/**
 * Exponential back-off of failed password checks per (account, client address) pair — never per
 * account alone, so a stranger failing from one address cannot lock the owner out: the owner's
 * address is another pair. The first {@code freeFailures} failures of a pair cost nothing; each
 * further one makes the pair wait {@link #FIRST_DELAY}, doubling up to {@link #MAX_DELAY}. While a
 * pair waits, its attempts are refused unchecked (no password is tried). A success forgets the
 * pair; so does {@link #FORGET_AFTER} without a failure.
 *
 * <p>Bounded in bytes ({@link BoundedLru}): past the budget the least recently used pairs are
 * evicted and counted through {@code evicted} (an evicted pair starts again from its free failures,
 * which the per-address limit still bounds). Thread-safe.
 */
final class LoginThrottle {
  static final Duration FIRST_DELAY = Duration.ofSeconds(1);
  static final Duration MAX_DELAY = Duration.ofMinutes(15);
  static final Duration FORGET_AFTER = Duration.ofHours(1);

  /** Default byte budget: ~10,000 pairs of a 30-character email and an IPv6 address. */
  static final long DEFAULT_BUDGET_BYTES = 2L * 1024 * 1024;

  private final int freeFailures;
  private final LongSupplier nanoClock;
  private final BoundedLru<Pair> pairs;

  /** {@code freeFailures} 0 turns the back-off off. */
  LoginThrottle(int freeFailures, LongConsumer evicted) {
    this(freeFailures, DEFAULT_BUDGET_BYTES, System::nanoTime, evicted);
  }

  LoginThrottle(int freeFailures, long budgetBytes, LongSupplier nanoClock, LongConsumer evicted) {
    this.freeFailures = freeFailures;
    this.nanoClock = nanoClock;
    this.pairs = new BoundedLru<>(budgetBytes, evicted);
  }

  private static final class Pair {
    int failures;
    long lastFailure;
    long blockedUntil;
  }

  private static String key(String account, String address) {
    return account + '\n' + address;
  }

  /**
   * The key an address is limited under: an IPv4 address itself, an IPv6 address its /64 (one
   * subscriber's prefix: whoever has one address of it has them all).
   */
  static String addressKey(String address) {
    byte[] b = Cidr.literal(address).orElse(null);
    if (b == null || b.length != 16) {
      return address.length() <= 64 ? address : address.substring(0, 64);
    }
    StringBuilder k = new StringBuilder(24);
    for (int i = 0; i < 8; i += 2) {
      k.append(Integer.toHexString(((b[i] & 0xff) << 8) | (b[i + 1] & 0xff))).append(':');
    }
    return k.append(":/64").toString();
  }

  /** Seconds the pair must still wait (0: it may try now). */
  long waitSeconds(String account, String address) {
    if (freeFailures == 0) {
      return 0;
    }
    Pair p = pairs.get(key(account, address));
    if (p == null) {
      return 0;
    }
    synchronized (p) {
      long left = p.blockedUntil - nanoClock.getAsLong();
      return left <= 0 ? 0 : Math.max(1, (left + 999_999_999L) / 1_000_000_000L);
    }
  }

  /** A wrong password from this pair: the next attempt may have to wait; returns the wait, s. */
  long failed(String account, String address) {
    if (freeFailures == 0) {
      return 0;
    }
    Pair p = pairs.getOrCreate(key(account, address), Pair::new);
    synchronized (p) {
      long now = nanoClock.getAsLong();
      if (p.failures > 0 && now - p.lastFailure > FORGET_AFTER.toNanos()) {
        p.failures = 0; // an hour without a failure: the pair starts afresh
      }
      p.failures++;
      p.lastFailure = now;
      int over = p.failures - freeFailures;
      if (over <= 0) {
        return 0;
      }
      long delay =
          over > 20
              ? MAX_DELAY.toNanos()
              : Math.min(MAX_DELAY.toNanos(), FIRST_DELAY.toNanos() << (over - 1));
      p.blockedUntil = now + delay;
      return (delay + 999_999_999L) / 1_000_000_000L;
    }
  }

  /** The right password from this pair: it starts afresh. */
  void succeeded(String account, String address) {
    pairs.remove(key(account, address));
  }

  /** Estimated bytes held (tests). */
  long weightedBytes() {
    return pairs.bytes();
  }
}
