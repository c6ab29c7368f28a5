package dev.uat.router;

import dev.uat.telemetry.Telemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes usage records off the request path: {@link #record} puts a record in a bounded queue and
 * returns at once (a full queue drops the record and counts it); one background thread writes
 * batches of up to {@link #BATCH} in one transaction each, under a span {@code write usage} linked
 * to the requests' spans. {@link #close()} writes what is queued, for at most a few seconds.
 */
final class UsageRecorder implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(UsageRecorder.class);

  static final int CAPACITY = 10_000;
  static final int BATCH = 500;
  static final int MAX_LINKS = 32;

  /** A record and the span of its request (for the batch span's links). */
  private record Entry(UsageRecord record, SpanContext span) {}

  private final UsageStore store;
  private final RouterMetrics metrics;
  private final Tracer tracer;
  private final BlockingQueue<Entry> queue;
  private final Thread writer;
  private volatile boolean closing;
  private long lastFailureLog;

  UsageRecorder(UsageStore store, RouterMetrics metrics, Telemetry telemetry) {
    this(store, metrics, telemetry, CAPACITY);
  }

  UsageRecorder(UsageStore store, RouterMetrics metrics, Telemetry telemetry, int capacity) {
    this.queue = new ArrayBlockingQueue<>(capacity);
    this.store = store;
    this.metrics = metrics;
    this.tracer = telemetry.tracer();
    this.writer = Thread.ofPlatform().daemon().name("uat-router-usage").start(this::run);
  }

  /** Queues a record; never blocks. */
  void record(UsageRecord record) {
    if (closing || !queue.offer(new Entry(record, Span.current().getSpanContext()))) {
      metrics.usageDropped();
    }
  }

  private void run() {
    List<Entry> batch = new ArrayList<>(BATCH);
    while (true) {
      try {
        Entry first = queue.poll(100, TimeUnit.MILLISECONDS);
        if (first == null) {
          if (closing) {
            return;
          }
          continue;
        }
        batch.add(first);
        queue.drainTo(batch, BATCH - 1);
        write(batch);
        batch.clear();
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  @SuppressWarnings("try") // the scope is only closed
  private void write(List<Entry> batch) {
    SpanBuilder builder =
        tracer
            .spanBuilder("write usage")
            .setSpanKind(SpanKind.INTERNAL)
            .setNoParent()
            .setAttribute("uat.router.usage.batch_size", (long) batch.size());
    for (int i = 0; i < batch.size() && i < MAX_LINKS; i++) {
      if (batch.get(i).span().isValid()) {
        builder.addLink(batch.get(i).span());
      }
    }
    Span span = builder.startSpan();
    List<UsageRecord> records = new ArrayList<>(batch.size());
    for (Entry e : batch) {
      records.add(e.record());
    }
    try (Scope ignored = Context.root().with(span).makeCurrent()) {
      store.write(records);
      metrics.usageWritten(records.size());
    } catch (Exception e) {
      metrics.usageFailed(records.size());
      span.recordException(e);
      span.setStatus(StatusCode.ERROR, String.valueOf(e.getMessage()));
      long now = System.nanoTime();
      if (now - lastFailureLog > TimeUnit.SECONDS.toNanos(30)) {
        lastFailureLog = now;
        log.warn("could not write {} usage record(s): {}", records.size(), e.toString());
      }
    } finally {
      span.end();
    }
  }

  /** Records queued and not yet written (for tests and health). */
  int pending() {
    return queue.size();
  }

  @Override
  public void close() {
    closing = true;
    try {
      writer.join(TimeUnit.SECONDS.toMillis(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (writer.isAlive()) {
      writer.interrupt();
      log.warn("usage writer did not finish in 5 s; {} record(s) not written", queue.size());
    }
  }
}
