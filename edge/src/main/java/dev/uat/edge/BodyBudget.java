package dev.uat.edge;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The request body bytes the edge holds at once, over all requests: each request reserves what it
 * allocates before allocating it and releases it when its upstream call is over. Lock-free and
 * thread-safe; never blocks (a reservation that does not fit fails at once).
 */
final class BodyBudget {
  private final long capacity;
  private final AtomicLong used = new AtomicLong();

  BodyBudget(long capacity) {
    if (capacity <= 0) {
      throw new IllegalArgumentException("capacity must be positive");
    }
    this.capacity = capacity;
  }

  /** Reserves {@code bytes} if they fit; false (and nothing reserved) if not. */
  boolean tryReserve(long bytes) {
    while (true) {
      long now = used.get();
      if (now + bytes > capacity) {
        return false;
      }
      if (used.compareAndSet(now, now + bytes)) {
        return true;
      }
    }
  }

  void release(long bytes) {
    used.addAndGet(-bytes);
  }
}
