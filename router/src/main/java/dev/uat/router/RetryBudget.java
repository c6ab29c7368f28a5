package dev.uat.router;

import java.util.function.LongSupplier;

/**
 * Bounds retries across all requests so that a failing upstream is not hit by a multiple of the
 * traffic: each request deposits {@code ratio} of a retry, a retry withdraws one, and {@code
 * minPerSecond} retries are always allowed (a token bucket refilled over time). Fallbacks to the
 * next step of a chain are not retries and need no budget. Thread-safe.
 */
final class RetryBudget {
  private final double ratio;
  private final double minPerSecond;
  private final double cap;
  private final LongSupplier clock;
  private double balance;
  private long last;

  RetryBudget(double ratio, double minPerSecond, LongSupplier clock) {
    this.ratio = ratio;
    this.minPerSecond = minPerSecond;
    this.cap = Math.max(10, minPerSecond * 10);
    this.clock = clock;
    this.balance = minPerSecond;
    this.last = clock.getAsLong();
  }

  /** A request arrived. */
  synchronized void deposit() {
    refill();
    balance = Math.min(cap, balance + ratio);
  }

  /** Takes one retry from the budget, if there is one. */
  synchronized boolean tryWithdraw() {
    refill();
    if (balance >= 1) {
      balance -= 1;
      return true;
    }
    return false;
  }

  private void refill() {
    if (minPerSecond > 0) {
      long now = clock.getAsLong();
      balance = Math.min(cap, balance + minPerSecond * (now - last) / 1e9);
      last = now;
    }
  }
}
