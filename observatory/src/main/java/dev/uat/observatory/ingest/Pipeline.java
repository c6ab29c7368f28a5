package dev.uat.observatory.ingest;

import static java.util.Objects.requireNonNull;

import dev.uat.observatory.model.AttributeNames;
import dev.uat.observatory.model.Span;
import dev.uat.observatory.store.Storage;
import dev.uat.web.HttpError;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
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
 *   <li>{@link #admit} opens a {@link Permit}: a reservation in one budget of in-flight bytes
 *       shared by both receivers. A request reserves, before it holds them, the bytes it reads as
 *       sent, the bytes it inflates, and the heap of the spans it decodes, until they are stored. A
 *       request that does not fit now is refused with 429 and {@code Retry-After} (OTLP exporters
 *       retry it); one that would need more than the whole budget with 413; every request with 503
 *       once the pipeline is closed. So what all requests hold at once never exceeds the budget.
 *   <li>{@link #deliver} cuts what is too long ({@link Limits}), hands the spans to the store on
 *       the caller's thread (an in-memory append does not block), then offers them to a queue
 *       bounded in bytes that one background thread drains into the {@link SpanListener}s, and
 *       offers the request body to the {@link Journal}. What does not fit in a queue is dropped and
 *       counted, never waited for.
 * </ol>
 *
 * <p>Metrics: {@code uat.observatory.ingest.refused} (requests answered 413, 415, 429 or 503, by
 * {@code reason}), {@code uat.observatory.ingest.in_flight}, {@code .in_flight.peak} and {@code
 * .in_flight.limit} (bytes), {@code uat.observatory.ingest.truncated} (values cut, by {@code
 * field}), {@code uat.observatory.derived.dropped} (spans not fed to the listeners), {@code
 * uat.observatory.derived.queue} (spans waiting for them), {@code
 * uat.observatory.in_process.dropped} (spans of {@link InProcessExporter}s dropped, by {@code
 * reason}). Thread-safe.
 */
public final class Pipeline implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Pipeline.class);

  /** The in-flight budget is this fraction of the heap ({@code Runtime.maxMemory() / 16}). */
  public static final int HEAP_FRACTION = 16;

  /** Smallest in-flight budget, whatever the heap (16 MiB). */
  public static final long MIN_IN_FLIGHT_BYTES = 16L * 1024 * 1024;

  /** Largest in-flight budget, whatever the heap (256 MiB). */
  public static final long MAX_IN_FLIGHT_BYTES = 256L * 1024 * 1024;

  /** Default bound of the listeners' queue, in estimated bytes of the spans queued (16 MiB). */
  public static final long DEFAULT_QUEUE_BYTES = 16L * 1024 * 1024;

  /** Seconds a refused sender is asked to wait. */
  static final long RETRY_AFTER_SECONDS = 1;

  /**
   * The in-flight budget for a heap of {@code maxHeapBytes}: 1/{@value #HEAP_FRACTION} of it, at
   * least {@link #MIN_IN_FLIGHT_BYTES} and at most {@link #MAX_IN_FLIGHT_BYTES}. 16 MiB for the
   * all-in-one's 256 MiB.
   */
  public static long inFlightBudget(long maxHeapBytes) {
    return Math.clamp(maxHeapBytes / HEAP_FRACTION, MIN_IN_FLIGHT_BYTES, MAX_IN_FLIGHT_BYTES);
  }

  /** {@link #inFlightBudget(long)} of this JVM's {@code Runtime.maxMemory()}. */
  public static long defaultInFlightBudget() {
    return inFlightBudget(Runtime.getRuntime().maxMemory());
  }

  private record Batch(List<Span> spans, long receivedMillis, long bytes) {}

  private static final Batch STOP = new Batch(List.of(), 0, 0);

  private final Storage storage;
  private final List<SpanListener> listeners;
  private volatile Journal journal; // null when persistence is off
  private final long maxInFlightBytes;
  private final long maxQueuedBytes;
  private final AtomicLong inFlight = new AtomicLong();
  private final AtomicLong inFlightPeak = new AtomicLong();
  private final AtomicLong queuedSpans = new AtomicLong();
  private final AtomicLong queuedBytes = new AtomicLong();
  private final BlockingQueue<Batch> queue = new ArrayBlockingQueue<>(16_384);
  private final Thread worker;
  private final Limits limits;
  private final LongCounter refused;
  private final LongCounter derivedDropped;
  private final LongCounter inProcessDropped;
  private final ReceiverMetrics inProcessMetrics;
  private final SpanDataConverter converter = new SpanDataConverter();
  private final List<AutoCloseable> gauges;
  private volatile boolean closed;

  /**
   * @param maxInFlightBytes the in-flight budget ({@link #defaultInFlightBudget()} in production)
   * @param maxQueuedBytes the listeners' queue bound, in estimated bytes of the spans it holds
   */
  public Pipeline(
      Storage storage,
      List<SpanListener> listeners,
      Meter meter,
      long maxInFlightBytes,
      long maxQueuedBytes) {
    this.storage = requireNonNull(storage, "storage");
    this.listeners = List.copyOf(listeners);
    requireNonNull(meter, "meter");
    if (maxInFlightBytes <= 0 || maxQueuedBytes <= 0) {
      throw new IllegalArgumentException("limits must be positive");
    }
    this.maxInFlightBytes = maxInFlightBytes;
    this.maxQueuedBytes = maxQueuedBytes;
    this.limits = new Limits(meter);
    this.refused =
        meter
            .counterBuilder("uat.observatory.ingest.refused")
            .setUnit("{request}")
            .setDescription(
                "Export requests refused to protect the observatory (413, 415, 429, 503), by"
                    + " reason")
            .build();
    this.derivedDropped =
        meter
            .counterBuilder("uat.observatory.derived.dropped")
            .setUnit("{span}")
            .setDescription("Spans stored but not counted in RED and GenAI metrics: queue full")
            .build();
    this.inProcessDropped =
        meter
            .counterBuilder("uat.observatory.in_process.dropped")
            .setUnit("{span}")
            .setDescription(
                "Spans of this process's own components dropped before the store: in-flight"
                    + " budget taken (busy), batch larger than it (too_large), or closing")
            .build();
    this.inProcessMetrics = new ReceiverMetrics(meter, InProcessExporter.RECEIVER);
    this.gauges =
        List.of(
            meter
                .gaugeBuilder("uat.observatory.derived.queue")
                .ofLongs()
                .setUnit("{span}")
                .setDescription("Spans waiting to be counted in RED and GenAI metrics")
                .buildWithCallback(m -> m.record(queuedSpans.get())),
            meter
                .gaugeBuilder("uat.observatory.ingest.in_flight")
                .ofLongs()
                .setUnit("By")
                .setDescription(
                    "Bytes reserved by export requests being read, inflated and decoded")
                .buildWithCallback(m -> m.record(inFlight.get())),
            meter
                .gaugeBuilder("uat.observatory.ingest.in_flight.peak")
                .ofLongs()
                .setUnit("By")
                .setDescription("The most bytes export requests had reserved at once since start")
                .buildWithCallback(m -> m.record(inFlightPeak.get())),
            meter
                .gaugeBuilder("uat.observatory.ingest.in_flight.limit")
                .ofLongs()
                .setUnit("By")
                .setDescription("The in-flight budget shared by the receivers")
                .buildWithCallback(m -> m.record(this.maxInFlightBytes)));
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

  /** The in-flight budget, in bytes. */
  public long maxInFlightBytes() {
    return maxInFlightBytes;
  }

  /** Bytes reserved by requests in flight now. */
  public long inFlightBytes() {
    return inFlight.get();
  }

  /**
   * One request's reservation of in-flight bytes. Grows before the request holds more ({@link
   * #reserve}), shrinks when it lets go of something ({@link #release}); {@link #close()} returns
   * the rest. Used by the request's thread only.
   */
  public final class Permit implements AutoCloseable {
    private long bytes;

    private Permit() {}

    /**
     * Reserves {@code more} bytes before the request holds them.
     *
     * @throws HttpError 413 when the request would need more than the whole budget, 429 (with
     *     Retry-After) when it does not fit beside the other requests now
     */
    public void reserve(long more) {
      if (more <= 0) {
        return;
      }
      if (bytes + more > maxInFlightBytes) {
        throw refuse(
            Reason.TOO_LARGE,
            HttpError.tooLarge(
                "the request needs more than the observatory's in-flight budget of "
                    + maxInFlightBytes
                    + " bytes; send smaller batches"));
      }
      while (true) {
        long current = inFlight.get();
        if (current + more > maxInFlightBytes) {
          throw busy();
        }
        if (inFlight.compareAndSet(current, current + more)) {
          bytes += more;
          inFlightPeak.accumulateAndGet(current + more, Math::max);
          return;
        }
      }
    }

    /** Returns {@code less} bytes the request no longer holds. */
    public void release(long less) {
      long returned = Math.min(Math.max(0, less), bytes);
      bytes -= returned;
      inFlight.addAndGet(-returned);
    }

    /** Bytes reserved now. */
    public long bytes() {
      return bytes;
    }

    /** Bytes this request may still reserve before it would need more than the whole budget. */
    public long room() {
      return maxInFlightBytes - bytes;
    }

    /** Counts a refusal of this request and returns the error to throw. */
    public HttpError refuse(Reason reason, HttpError error) {
      refused.add(1, reason.attributes);
      return error;
    }

    @Override
    public void close() {
      release(bytes);
    }
  }

  /** Why a request was refused: the {@code reason} of {@code uat.observatory.ingest.refused}. */
  public enum Reason {
    /** 429: the in-flight budget is taken by other requests. */
    BUSY("busy"),
    /** 503: shutting down. */
    CLOSED("closed"),
    /** 413: the body as sent is above {@link Bodies#MAX_BODY_BYTES}. */
    BODY("body_too_large"),
    /** 413: the body inflates beyond {@link Bodies#MAX_DECOMPRESSED_BYTES}. */
    DECOMPRESSED("decompressed_too_large"),
    /** 413: body and decoded spans together need more than the whole in-flight budget. */
    TOO_LARGE("in_flight_too_large"),
    /** 415: a Content-Type the receiver does not take (form and text types included). */
    MEDIA_TYPE("media_type"),
    /** 415: a Content-Encoding other than identity or gzip. */
    ENCODING("content_encoding");

    final io.opentelemetry.api.common.Attributes attributes;

    Reason(String name) {
      this.attributes = io.opentelemetry.api.common.Attributes.of(AttributeNames.REASON, name);
    }
  }

  /**
   * Opens a reservation for a request, empty for now.
   *
   * @throws HttpError 503 when the pipeline is closed
   */
  public Permit admit() {
    if (closed) {
      refused.add(1, Reason.CLOSED.attributes);
      throw new HttpError(
          503, "unavailable", "the observatory is shutting down", RETRY_AFTER_SECONDS);
    }
    return new Permit();
  }

  /**
   * Counts a request refused before it was admitted (e.g. its content type) and returns the error.
   */
  public HttpError refuse(Reason reason, HttpError error) {
    refused.add(1, reason.attributes);
    return error;
  }

  private HttpError busy() {
    refused.add(1, Reason.BUSY.attributes);
    return new HttpError(
        429,
        "rate_limited",
        "the observatory is decoding "
            + (maxInFlightBytes >> 20)
            + " MiB of spans already; retry shortly",
        RETRY_AFTER_SECONDS);
  }

  /**
   * Cuts what is too long, stores {@code spans} and passes them on; {@code body} (as decoded, after
   * gzip) goes to the journal in {@code format}. Never blocks on the listeners or the disk.
   *
   * @param spanBytes the estimated heap of {@code spans} (what the decoder reserved for them),
   *     which the listeners' queue counts against its bound
   */
  public void deliver(
      List<Span> spans, Format format, byte[] body, long receivedMillis, long spanBytes) {
    if (!spans.isEmpty()) {
      List<Span> stored = limits.apply(spans);
      storage.spanConsumer().accept(stored);
      enqueue(stored, receivedMillis, Math.max(spanBytes, 1));
    }
    Journal j = journal;
    if (j != null && body.length > 0) {
      j.append(format, body, receivedMillis, spans.size());
    }
  }

  /**
   * Cuts what is too long, stores {@code spans} and passes them on, like {@link #deliver(List,
   * Format, byte[], long, long)} but with no request body: what the in-process exporter ({@link
   * InProcessExporter}) hands over. Such spans are not journaled. Never blocks on the listeners.
   */
  public void deliver(List<Span> spans, long receivedMillis, long spanBytes) {
    if (!spans.isEmpty()) {
      List<Span> stored = limits.apply(spans);
      storage.spanConsumer().accept(stored);
      enqueue(stored, receivedMillis, Math.max(spanBytes, 1));
    }
  }

  /**
   * A new exporter that delivers an SDK's spans here, in process ({@link InProcessExporter}): one
   * per SDK, since the SDK shuts its exporter down when it closes.
   */
  public InProcessExporter newInProcessExporter() {
    return new InProcessExporter(this, converter, inProcessMetrics, inProcessDropped);
  }

  /** True when request bodies also go to a journal ({@link #attach}). */
  public boolean journaled() {
    return journal != null;
  }

  /** Stores spans replayed from the journal and feeds the listeners at once, on this thread. */
  public void replay(List<Span> spans, long receivedMillis) {
    if (spans.isEmpty()) {
      return;
    }
    List<Span> stored = limits.apply(spans);
    storage.spanConsumer().accept(stored);
    feed(stored, receivedMillis);
  }

  private void enqueue(List<Span> spans, long receivedMillis, long bytes) {
    int n = spans.size();
    long after = queuedBytes.addAndGet(bytes);
    queuedSpans.addAndGet(n);
    // one batch always fits into an empty queue: it was within the in-flight budget already
    if (closed
        || (after > maxQueuedBytes && after != bytes)
        || !queue.offer(new Batch(spans, receivedMillis, bytes))) {
      queuedBytes.addAndGet(-bytes);
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
      queuedBytes.addAndGet(-batch.bytes);
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
    queuedBytes.set(0);
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
    for (AutoCloseable gauge : gauges) {
      try {
        gauge.close();
      } catch (Exception e) {
        log.debug("closing a gauge: {}", e.toString());
      }
    }
  }
}
