package dev.uat.observatory.store;

import dev.uat.observatory.model.Span;
import java.util.List;

/**
 * The write role of a {@link Storage}: receivers hand it the spans they decoded.
 *
 * <p>Implementations are thread-safe, called concurrently by every receiver thread. They do not
 * throw for valid spans and do not block for long: a store that cannot keep a span drops it (and
 * says so in its metrics) rather than make the sender wait.
 */
@FunctionalInterface
public interface SpanConsumer {
  /** Stores {@code spans}; spans of one trace may arrive over many calls, in any order. */
  void accept(List<Span> spans);
}
