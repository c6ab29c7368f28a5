package dev.uat.observatory.ingest;

import dev.uat.observatory.model.AttributeNames;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;

/**
 * What every receiver counts: {@code uat.observatory.spans.received} (spans in well-formed export
 * requests) and {@code uat.observatory.spans.rejected} (those of them rejected), labelled with the
 * receiver. Thread-safe.
 */
public final class ReceiverMetrics {
  private final LongCounter received;
  private final LongCounter rejected;
  private final Attributes receiver;

  public ReceiverMetrics(Meter meter, String receiverName) {
    this.received =
        meter
            .counterBuilder("uat.observatory.spans.received")
            .setUnit("{span}")
            .setDescription("Spans received in well-formed export requests")
            .build();
    this.rejected =
        meter
            .counterBuilder("uat.observatory.spans.rejected")
            .setUnit("{span}")
            .setDescription("Spans rejected from well-formed export requests (invalid ids)")
            .build();
    this.receiver = Attributes.of(AttributeNames.RECEIVER, receiverName);
  }

  /** Counts one export request's spans: {@code accepted} stored, {@code refused} rejected. */
  public void record(int accepted, int refused) {
    received.add(accepted + refused, receiver);
    if (refused > 0) {
      rejected.add(refused, receiver);
    }
  }
}
