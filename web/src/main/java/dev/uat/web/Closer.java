package dev.uat.web;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a component opened, closed newest first: the one close-everything stack. {@link #close}
 * closes every resource even when some fail, logs each failure, and may be called again.
 *
 * <p>Not thread-safe: one owner registers and closes.
 */
public final class Closer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Closer.class);

  private final Deque<AutoCloseable> open = new ArrayDeque<>();

  /** Registers {@code resource} to be closed before everything registered earlier. */
  public <T extends AutoCloseable> T register(T resource) {
    if (resource != null) {
      open.push(resource);
    }
    return resource;
  }

  /**
   * Runs {@code start}; if it throws, closes what had been registered and rethrows, so that a
   * half-started component leaves nothing open.
   */
  public <T> T startOrClose(Supplier<T> start) {
    try {
      return start.get();
    } catch (RuntimeException | Error e) {
      close();
      throw e;
    }
  }

  @Override
  public void close() {
    while (!open.isEmpty()) {
      AutoCloseable c = open.pop();
      try {
        c.close();
      } catch (Exception e) {
        log.warn("closing {} failed", c, e);
      }
    }
  }
}
