package dev.uat.observatory.store;

import dev.uat.observatory.model.Trace;
import dev.uat.observatory.model.TraceId;
import java.util.List;
import java.util.Optional;

/**
 * The read role of a {@link Storage}: what the query API asks.
 *
 * <p>Implementations are thread-safe and may be read while spans are written; a read sees each
 * {@link SpanConsumer#accept} call either not at all or span by span as it progresses. Results are
 * immutable snapshots.
 */
public interface SpanStore {
  /** The stored spans of a trace, ordered by start time; empty when none are stored. */
  Optional<Trace> trace(TraceId traceId);

  /**
   * The stored spans of a trace given as 1 to 32 hex characters (either case; shorter ids are
   * left-padded with zeros).
   *
   * @throws IllegalArgumentException when {@code traceId} is not such an id
   */
  default Optional<Trace> trace(String traceId) {
    return trace(TraceId.parse(traceId));
  }

  /** The names of the services that sent spans, sorted. */
  List<String> services();
}
