package dev.uat.observatory.store;

/**
 * A span storage: the factory of its {@link SpanConsumer write} and {@link SpanStore read} roles,
 * with a health {@link #check()} and {@link #close()}.
 *
 * <p>Thread-safe. After {@link #close()}, writes are dropped, reads find nothing and {@link
 * #check()} fails.
 */
public interface Storage extends AutoCloseable {
  SpanConsumer spanConsumer();

  SpanStore spanStore();

  /**
   * Returns when the storage is usable.
   *
   * @throws IllegalStateException saying why when it is not (closed, backend unreachable, ...)
   */
  void check();

  /** Releases the storage's resources; idempotent, never throws. */
  @Override
  void close();
}
