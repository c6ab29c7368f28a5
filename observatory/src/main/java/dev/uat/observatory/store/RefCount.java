package dev.uat.observatory.store;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A count of the stored spans that refer to an index entry. Once it falls to zero the entry is dead
 * for good ({@link #DEAD}): a writer that finds it dead makes a new one, so the remover never takes
 * away an entry a span was just counted in.
 */
abstract class RefCount {
  private static final long DEAD = -1;
  private final AtomicLong spans = new AtomicLong();

  /** Counts one more span; false when the entry is dead. */
  final boolean acquire() {
    while (true) {
      long current = spans.get();
      if (current == DEAD) {
        return false;
      }
      if (spans.compareAndSet(current, current + 1)) {
        return true;
      }
    }
  }

  /** Counts {@code n} spans fewer; true when that was the last and the entry is now dead. */
  final boolean release(long n) {
    while (true) {
      long current = spans.get();
      long next = current - n;
      if (next <= 0) {
        if (spans.compareAndSet(current, DEAD)) {
          return true;
        }
      } else if (spans.compareAndSet(current, next)) {
        return false;
      }
    }
  }

  final boolean live() {
    return spans.get() > 0;
  }
}
