package dev.uat.router;

import java.util.function.LongSupplier;

/**
 * One deployment's circuit breaker: {@code closed} counts consecutive failures and opens at the
 * threshold; {@code open} refuses calls for the open period; then {@code half_open} lets exactly
 * one probe through: its success closes the circuit, its failure opens it again.
 *
 * <p>Failures are what make a deployment unusable (unreachable, timed out, 5xx, broken answers); a
 * 429 or a rejected request says nothing about its health and counts neither way. Thread-safe; the
 * closed state is read without a lock.
 */
final class CircuitBreaker {
  enum State {
    CLOSED("closed"),
    OPEN("open"),
    HALF_OPEN("half_open");

    final String label;

    State(String label) {
      this.label = label;
    }
  }

  /** Told of every state change, outside any lock the caller could hold. */
  @FunctionalInterface
  interface Listener {
    void changed(CircuitBreaker breaker, State from, State to);
  }

  private final String name;
  private final int threshold;
  private final long openForNanos;
  private final LongSupplier clock;
  private final Listener listener;
  private volatile State state = State.CLOSED;
  private int failures;
  private long openedAt;
  private boolean probeInFlight;

  CircuitBreaker(String name, int threshold, long openForNanos, LongSupplier clock, Listener l) {
    this.name = name;
    this.threshold = threshold;
    this.openForNanos = openForNanos;
    this.clock = clock;
    this.listener = l;
  }

  String name() {
    return name;
  }

  State state() {
    return state;
  }

  /** Whether {@link #tryAcquire()} would let a call through now (no state change). */
  boolean allowsNow() {
    State s = state;
    if (s == State.CLOSED) {
      return true;
    }
    synchronized (this) {
      return switch (state) {
        case CLOSED -> true;
        case OPEN -> clock.getAsLong() - openedAt >= openForNanos;
        case HALF_OPEN -> !probeInFlight;
      };
    }
  }

  /** Lets a call through, or not; in half-open, lets one probe through at a time. */
  boolean tryAcquire() {
    if (state == State.CLOSED) {
      return true;
    }
    State from;
    synchronized (this) {
      switch (state) {
        case CLOSED:
          return true;
        case HALF_OPEN:
          if (probeInFlight) {
            return false;
          }
          probeInFlight = true;
          return true;
        default: // OPEN
          if (clock.getAsLong() - openedAt < openForNanos) {
            return false;
          }
          from = state;
          state = State.HALF_OPEN;
          probeInFlight = true;
      }
    }
    listener.changed(this, from, State.HALF_OPEN);
    return true;
  }

  /** Nanoseconds until an open circuit lets a probe through (0 when it would now). */
  long nanosUntilProbe() {
    synchronized (this) {
      if (state != State.OPEN) {
        return 0;
      }
      return Math.max(0, openForNanos - (clock.getAsLong() - openedAt));
    }
  }

  void onSuccess() {
    State from = null;
    synchronized (this) {
      failures = 0;
      if (state == State.HALF_OPEN) {
        from = state;
        state = State.CLOSED;
        probeInFlight = false;
      }
    }
    if (from != null) {
      listener.changed(this, from, State.CLOSED);
    }
  }

  void onFailure() {
    State from = null;
    synchronized (this) {
      if (state == State.HALF_OPEN) {
        from = state;
        probeInFlight = false;
      } else if (state == State.CLOSED && ++failures >= threshold) {
        from = state;
      }
      if (from != null) {
        state = State.OPEN;
        openedAt = clock.getAsLong();
        failures = 0;
      }
    }
    if (from != null) {
      listener.changed(this, from, State.OPEN);
    }
  }

  /** A call that was let through ended saying nothing about health (429, rejected request). */
  void onNeutral() {
    synchronized (this) {
      if (state == State.HALF_OPEN) {
        probeInFlight = false;
      }
    }
  }

  @Override
  public String toString() {
    return "CircuitBreaker{" + name + " " + state.label + "}";
  }
}
