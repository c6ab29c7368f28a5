package dev.uat.observatory.ingest;

import static java.util.Objects.requireNonNull;

import dev.uat.observatory.model.Span;
import dev.uat.observatory.store.Storage;
import dev.uat.web.HttpError;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.metrics.ObservableLongGauge;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The path from a receiver to everything that keeps spans.
 *
 * <ol>
 *   <li>{@link #admit} reserves room for a request's body in a budget of bytes being decoded at
 *       once; a request that does not fit is refused with 429 and {@code Retry-After} (so that a
 *       burst cannot exhaust the heap), and every request with 503 once the store is closed.
 *   <li>{@link #deliver} hands the decoded spans to the store on the caller's thread (an in-memory
 *       append does not block), then offers them to a bounded queue that one background thread
 *       drains into the {@link SpanListener}s, and offers the request body to the {@link Journal}.
 *       What does not fit in a queue is dropped and counted, never waited for.
 * </ol>
 *
 * <p>Metrics: {@code uat.observatory.ingest.refused} (requests answered 429/503, by {@code
 * reason}), {@code uat.observatory.derived.dropped} (spans not fed to the listeners), {@code
 * uat.observatory.derived.queue} (spans waiting for them). Thread-safe.
 */
public final class Pipeline implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Pipeline.class);

  /** Default budget of request bytes being decoded at once (128 MiB). */
  public static final long DEFAULT_MAX_IN_FLIGHT_BYTES = 128L * 1024 * 1024;

  /** Default bound of the listeners' queue, in spans. */
  public static final int DEFAULT_QUEUE_SPANS = 1_000_000;

  /** Seconds a refused sender is asked to wait. */
  static final long RETRY_AFTER_SECONDS = 1;

  private record Batch(List<Span> spans, long receivedMillis) {}

  private static final Batch STOP = new Batch(List.of(), 0);

  private final Storage storage;
  private final List<SpanListener> listeners;
  private volatile Journal journal; // null when persistence is off
  private final long maxInFlightBytes;
  private final int maxQueuedSpans;
  private final AtomicLong inFlight = new AtomicLong();
  private final AtomicLong queuedSpans = new AtomicLong();
  private final BlockingQueue<Batch> queue = new ArrayBlockingQueue<>(16_384);
  private final Thread worker;
  private final LongCounter refused;
  private final LongCounter derivedDropped;
  private final ObservableLongGauge queueGauge;
  private volatile boolean closed;

  public Pipeline(
      Storage storage,
      List<SpanListener> listeners,
      Meter meter,
      long maxInFlightBytes,
      int maxQueuedSpans) {
    this.storage = requireNonNull(storage, "storage");
    this.listeners = List.copyOf(listeners);
    if (maxInFlightBytes <= 0 || maxQueuedSpans <= 0) {
      throw new IllegalArgumentException("limits must be positive");
    }
    this.maxInFlightBytes = maxInFlightBytes;
    this.maxQueuedSpans = maxQueuedSpans;
    this.refused =
        meter
            .counterBuilder("uat.observatory.ingest.refused")
            .setUnit("{request}")
            .setDescription("Export requests refused with 429 or 503 to protect the observatory")
            .build();
    this.derivedDropped =
        meter
            .counterBuilder("uat.observatory.derived.dropped")
            .setUnit("{span}")
            .setDescription("Spans stored but not counted in RED and GenAI metrics: queue full")
            .build();
    this.queueGauge =
        meter
            .gaugeBuilder("uat.observatory.derived.queue")
            .ofLongs()
            .setUnit("{span}")
            .setDescription("Spans waiting to be counted in RED and GenAI metrics")
            .buildWithCallback(m -> m.record(queuedSpans.get()));
    this.worker = Thread.ofPlatform().daemon().name("observatory-derived").unstarted(this::drain);
  }

  /** From now on, request bodies also go to {@code journal}. */
  public void attach(Journal journal) {
    this.journal = requireNonNull(journal, "journal");
  }

  /** Starts the listeners' worker; spans delivered before are queued (replay feeds listeners). */
  public void start() {
    worker.start();
  }

  /** A reservation of in-flight bytes; {@link #close()} releases it. */
  public final class Permit implements AutoCloseable {
    private long bytes;

    private Permit(long bytes) {
      this.bytes = bytes;
    }

    /**
     * Grows the reservation to {@code total} bytes (a body inflated by gzip).
     *
     * @throws HttpError 429 when that does not fit
     */
    public void growTo(long total) {
      if (total <= bytes) {
        return;
      }
      long more = total - bytes;
      if (!reserve(more, bytes)) {
        throw busy();
      }
      bytes = total;
    }

    @Override
    public void close() {
      inFlight.addAndGet(-bytes);
      bytes = 0;
    }
  }

  /**
   * Reserves {@code bytes} for a request; a request is always admitted when nothing else is in
   * flight, so one large body cannot be refused forever.
   *
   * @throws HttpError 503 when the store is closed, 429 (with Retry-After) when busy
   */
  public Permit admit(long bytes) {
    if (closed) {
      refused.add(1, Reasons.CLOSED);
      throw new HttpError(
          503, "unavailable", "the observatory is shutting down", RETRY_AFTER_SECONDS);
    }
    if (!reserve(Math.max(0, bytes), 0)) {
      throw busy();
    }
    return new Permit(Math.max(0, bytes));
  }

  /**
   * Reserves {@code bytes} more; allowed beyond the budget when nothing but the caller's own {@code
   * held} bytes is in flight.
   */
  private boolean reserve(long bytes, long held) {
    while (true) {
      long current = inFlight.get();
      if (current + bytes > maxInFlightBytes && current != held) {
        return false;
      }
      if (inFlight.compareAndSet(current, current + bytes)) {
        return true;
      }
    }
  }

  private HttpError busy() {
    refused.add(1, Reasons.BUSY);
    return new HttpError(
        429,
        "rate_limited",
        "the observatory is decoding "
            + (maxInFlightBytes >> 20)
            + " MiB of spans already; retry shortly",
        RETRY_AFTER_SECONDS);
  }

  /**
   * Stores {@code spans} and passes them on; {@code body} (as decoded, after gzip) goes to the
   * journal in {@code format}. Never blocks on the listeners or the disk.
   */
  public void deliver(List<Span> spans, Format format, byte[] body, long receivedMillis) {
    if (!spans.isEmpty()) {
      storage.spanConsumer().accept(spans);
      enqueue(spans, receivedMillis);
    }
    Journal j = journal;
    if (j != null && body.length > 0) {
      j.append(format, body, receivedMillis, spans.size());
    }
  }

  /** Stores spans replayed from the journal and feeds the listeners at once, on this thread. */
  public void replay(List<Span> spans, long receivedMillis) {
    if (spans.isEmpty()) {
      return;
    }
    storage.spanConsumer().accept(spans);
    feed(spans, receivedMillis);
  }

  private void enqueue(List<Span> spans, long receivedMillis) {
    int n = spans.size();
    long after = queuedSpans.addAndGet(n);
    // one batch always fits into an empty queue, however large
    if (closed
        || (after > maxQueuedSpans && after != n)
        || !queue.offer(new Batch(spans, receivedMillis))) {
      queuedSpans.addAndGet(-n);
      derivedDropped.add(n);
    }
  }

  private void drain() {
    while (true) {
      Batch batch;
      try {
        batch = queue.take();
      } catch (InterruptedException e) {
        return;
      }
      if (batch == STOP) {
        return;
      }
      feed(batch.spans, batch.receivedMillis);
      queuedSpans.addAndGet(-batch.spans.size());
    }
  }

  private void feed(List<Span> spans, long receivedMillis) {
    for (SpanListener listener : listeners) {
      try {
        listener.onSpans(spans, receivedMillis);
      } catch (RuntimeException e) {
        log.warn("a span listener failed; its figures miss {} spans", spans.size(), e);
      }
    }
  }

  /** Spans not yet seen by every listener; 0 once the listeners caught up. */
  public long queuedSpans() {
    return queuedSpans.get();
  }

  @Override
  public void close() {
    closed = true;
    queue.clear();
    queuedSpans.set(0);
    if (!queue.offer(STOP)) {
      worker.interrupt();
    }
    if (worker.isAlive()) {
      try {
        worker.join(2_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    queueGauge.close();
  }

  private static final class Reasons {
    static final io.opentelemetry.api.common.Attributes BUSY =
        io.opentelemetry.api.common.Attributes.of(
            io.opentelemetry.api.common.AttributeKey.stringKey("reason"), "busy");
    static final io.opentelemetry.api.common.Attributes CLOSED =
        io.opentelemetry.api.common.Attributes.of(
            io.opentelemetry.api.common.AttributeKey.stringKey("reason"), "closed");
  }
}
