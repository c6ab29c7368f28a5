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

  /**
   * The span names {@code service} used, with their kinds, sorted by name then kind; they stay
   * listed after their spans are evicted. Empty for an unknown service.
   */
  List<Operation> operations(String service);

  /** Traces matching {@code query}, newest first, at most {@link TraceQuery#limit()}. */
  List<Trace> findTraces(TraceQuery query);

  /** The summaries of the traces {@link #findTraces} would return, in the same order. */
  default List<TraceSummary> findTraceSummaries(TraceQuery query) {
    return findTraces(query).stream().map(TraceSummary::of).toList();
  }

  /**
   * Calls between services in the stored traces that started between {@code endEpochMillis -
   * lookbackMillis} and {@code endEpochMillis}, one link per (parent, child) pair, sorted.
   */
  List<DependencyLink> dependencies(long endEpochMillis, long lookbackMillis);
}
