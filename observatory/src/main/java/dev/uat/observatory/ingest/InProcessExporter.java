package dev.uat.observatory.ingest;

import static java.util.Objects.requireNonNull;

import dev.uat.observatory.model.AttributeNames;
import dev.uat.web.HttpError;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.Collection;

/**
 * A {@link SpanExporter} that hands an SDK's finished spans to the observatory in the same JVM:
 * each batch is converted straight into the observatory's spans ({@link SpanDataConverter}) and
 * delivered through the {@link Pipeline}, like a batch from the OTLP receiver, with no protobuf and
 * no HTTP. The same length cuts ({@code Limits}), store, byte budgets and listeners (RED, GenAI)
 * apply; the spans are counted in {@code uat.observatory.spans.received} with {@code
 * uat.observatory.receiver="in_process"}.
 *
 * <p>{@link #export} runs on the caller's thread, which is the SDK's {@code BatchSpanProcessor}
 * worker, never a request thread. It never blocks: the converted spans are reserved in the
 * pipeline's in-flight budget (in bytes) as they are made; when the budget is taken by other
 * senders (or the batch alone would exceed it, or the observatory is closing) the batch is dropped,
 * counted in {@code uat.observatory.in_process.dropped} (spans, by {@code reason}), and the export
 * reports failure. The processor does not retry, so nothing waits. Spans delivered this way have no
 * request body and are not written to the journal: the platform uses this exporter only while
 * persistence is off.
 *
 * <p>Thread-safe. {@link #shutdown()} stops this exporter only (each SDK gets its own); the
 * pipeline belongs to the observatory.
 */
public final class InProcessExporter implements SpanExporter {
  /** The {@code receiver} label of the spans this exporter delivers. */
  public static final String RECEIVER = "in_process";

  private static final io.opentelemetry.api.common.Attributes BUSY =
      io.opentelemetry.api.common.Attributes.of(AttributeNames.REASON, "busy");
  private static final io.opentelemetry.api.common.Attributes TOO_LARGE =
      io.opentelemetry.api.common.Attributes.of(AttributeNames.REASON, "too_large");
  private static final io.opentelemetry.api.common.Attributes CLOSED =
      io.opentelemetry.api.common.Attributes.of(AttributeNames.REASON, "closed");

  private final Pipeline pipeline;
  private final SpanDataConverter converter;
  private final ReceiverMetrics metrics;
  private final LongCounter dropped;
  private volatile boolean shutdown;

  InProcessExporter(
      Pipeline pipeline,
      SpanDataConverter converter,
      ReceiverMetrics metrics,
      LongCounter dropped) {
    this.pipeline = requireNonNull(pipeline, "pipeline");
    this.converter = requireNonNull(converter, "converter");
    this.metrics = requireNonNull(metrics, "metrics");
    this.dropped = requireNonNull(dropped, "dropped");
  }

  @Override
  public CompletableResultCode export(Collection<SpanData> spans) {
    if (spans.isEmpty()) {
      return CompletableResultCode.ofSuccess();
    }
    if (shutdown) {
      dropped.add(spans.size(), CLOSED);
      return CompletableResultCode.ofFailure();
    }
    try (Pipeline.Permit permit = pipeline.admit()) {
      HeapCharge charge = new HeapCharge(permit);
      SpanDataConverter.Converted converted = converter.convert(spans, charge);
      pipeline.deliver(converted.spans(), System.currentTimeMillis(), charge.charged());
      metrics.record(converted.spans().size(), converted.rejected());
      return CompletableResultCode.ofSuccess();
    } catch (HttpError e) {
      dropped.add(spans.size(), e.status() == 429 ? BUSY : e.status() == 413 ? TOO_LARGE : CLOSED);
      return CompletableResultCode.ofFailure();
    }
  }

  @Override
  public CompletableResultCode flush() {
    return CompletableResultCode.ofSuccess(); // delivered synchronously: nothing is pending
  }

  @Override
  public CompletableResultCode shutdown() {
    shutdown = true;
    return CompletableResultCode.ofSuccess();
  }

  @Override
  public String toString() {
    return "InProcessExporter{" + pipeline + "}";
  }
}
