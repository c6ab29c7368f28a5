package dev.uat.observatory.ingest;

import dev.uat.observatory.model.Span;
import java.util.List;

/**
 * Something derived from spans (metrics, statistics), fed by the pipeline's background worker with
 * every stored batch, in order. Called from one thread at a time; must not block for long.
 */
@FunctionalInterface
public interface SpanListener {
  /**
   * @param receivedEpochMillis when the batch arrived (the original time when replayed from disk)
   */
  void onSpans(List<Span> spans, long receivedEpochMillis);
}
