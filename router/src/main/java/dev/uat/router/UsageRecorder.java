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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes usage records off the request path: {@link #record} puts a record in a queue bounded in
 * bytes ({@link #MAX_BYTES}, each record weighed by {@link #weight}) and returns at once (a full
 * queue drops the record and counts it as {@code uat.router.usage.records{outcome=dropped}}: a
 * database that is slow or down costs usage records, never memory); one background thread writes
 * batches of up to {@link #BATCH}, gathered for at most {@link #LINGER} after their first record,
 * in one transaction each, under a span {@code write usage} linked to the requests' spans. {@link
 * #close()} writes what is queued, for at most a few seconds.
 */
final class UsageRecorder implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(UsageRecorder.class);

  /** Byte budget of the records waiting to be written. */
  static final long MAX_BYTES = 2L * 1024 * 1024;

  static final int BATCH = 500;

  /** How long a batch waits for more records after its first (unless full or closing). */
  static final Duration LINGER = Duration.ofMillis(200);

  private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
  static final int MAX_LINKS = 32;

  /** A record and the span of its request (for the batch span's links). */
  private record Entry(UsageRecord record, SpanContext span, long weight) {}

  private final UsageStore store;
  private final RouterMetrics metrics;
  private final Tracer tracer;
  private final BlockingQueue<Entry> queue = new LinkedBlockingQueue<>();
  private final long maxBytes;
  private final long lingerNanos;
  private final AtomicLong queuedBytes = new AtomicLong();
  private final Thread writer;
  private volatile boolean closing;
  private long lastFailureLog;

  UsageRecorder(UsageStore store, RouterMetrics metrics, Telemetry telemetry) {
    this(store, metrics, telemetry, MAX_BYTES);
  }

  UsageRecorder(UsageStore store, RouterMetrics metrics, Telemetry telemetry, long maxBytes) {
    this(store, metrics, telemetry, maxBytes, LINGER);
  }

  /** With the byte budget and the linger of a batch (tests). */
  UsageRecorder(
      UsageStore store,
      RouterMetrics metrics,
      Telemetry telemetry,
      long maxBytes,
      Duration linger) {
    this.lingerNanos = linger.toNanos();
    this.maxBytes = maxBytes;
    this.store = store;
    this.metrics = metrics;
    this.tracer = telemetry.tracer();
    this.writer = Thread.ofPlatform().daemon().name("uat-router-usage").start(this::run);
  }

  /** Queues a record; never blocks. */
  void record(UsageRecord record) {
    long w = weight(record);
    if (closing) {
      metrics.usageDropped();
      return;
    }
    if (queuedBytes.addAndGet(w) > maxBytes) {
      queuedBytes.addAndGet(-w);
      metrics.usageDropped();
      return;
    }
    queue.add(new Entry(record, Span.current().getSpanContext(), w));
  }

  /**
   * Estimated bytes of a queued record: its strings (2 bytes a char plus 40 each), the record, its
   * Instant, the queue node and the span context (about 300 together).
   */
  static long weight(UsageRecord r) {
    return 300
        + chars(r.operation())
        + chars(r.keyId())
        + chars(r.userId())
        + chars(r.requestedModel())
        + chars(r.model())
        + chars(r.provider())
        + chars(r.status())
        + chars(r.traceId());
  }

  private static long chars(String s) {
    return s == null ? 0 : 40 + 2L * s.length();
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
        linger(batch);
        long taken = 0;
        for (Entry e : batch) {
          taken += e.weight();
        }
        queuedBytes.addAndGet(-taken);
        write(batch);
        batch.clear();
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /**
   * Lets the records of the next linger ({@link #LINGER} by default) join {@code batch}, until it
   * holds {@link #BATCH} or the recorder closes: one transaction for the requests of that moment
   * rather than one for each, which at one request at a time was a commit (and a {@code write
   * usage} span) per request competing with the requests for the CPU.
   */
  private void linger(List<Entry> batch) throws InterruptedException {
    long deadline = System.nanoTime() + lingerNanos;
    while (true) {
      queue.drainTo(batch, BATCH - batch.size());
      long left = deadline - System.nanoTime();
      if (batch.size() >= BATCH || left <= 0 || closing) {
        return;
      }
      // in slices, so that close() is noticed within one
      Entry next = queue.poll(Math.min(left, POLL_NANOS), TimeUnit.NANOSECONDS);
      if (next != null) {
        batch.add(next);
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
