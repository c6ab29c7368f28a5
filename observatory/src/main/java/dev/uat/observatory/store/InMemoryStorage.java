package dev.uat.observatory.store;

import dev.uat.observatory.model.Resource;
import dev.uat.observatory.model.Span;
import dev.uat.observatory.model.Trace;
import dev.uat.observatory.model.TraceId;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Spans kept on the heap, bounded by an approximate byte budget: when the stored spans exceed it,
 * whole traces are evicted, the trace that arrived first going first.
 *
 * <p>Thread-safe and non-blocking for practical purposes: writers and readers of different traces
 * never wait for each other, and those of one trace wait only for a short array copy. {@link
 * #accept} never throws for valid spans; after {@link #close()} it drops them. Sizes are estimates
 * of retained heap (see {@code SpanSizes}), not measurements.
 *
 * <p>Service names stay listed after their traces are evicted (at most {@value #MAX_SERVICES}).
 */
public final class InMemoryStorage implements Storage, SpanConsumer, SpanStore {
  /** Most distinct service names remembered; more are not listed. */
  public static final int MAX_SERVICES = 10_000;

  private static final Comparator<Span> BY_START =
      Comparator.comparingLong(Span::startEpochNanos).thenComparingLong(Span::spanId);

  private final long maxBytes;
  private final ConcurrentHashMap<TraceId, Entry> traces = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<Entry> arrivals = new ConcurrentLinkedQueue<>();
  private final AtomicLong bytes = new AtomicLong();
  private final AtomicLong spans = new AtomicLong();
  private final LongAdder evicted = new LongAdder();
  private final Set<String> services = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  /**
   * @param maxBytes the approximate heap the stored spans may take
   */
  public InMemoryStorage(long maxBytes) {
    if (maxBytes <= 0) {
      throw new IllegalArgumentException("maxBytes must be positive: " + maxBytes);
    }
    this.maxBytes = maxBytes;
  }

  /** What the store holds now; the figures are read one by one, not as one snapshot. */
  public record Stats(long traces, long spans, long bytes, long evictedTraces) {}

  public Stats stats() {
    return new Stats(traces.size(), spans.get(), bytes.get(), evicted.sum());
  }

  public long maxBytes() {
    return maxBytes;
  }

  @Override
  public SpanConsumer spanConsumer() {
    return this;
  }

  @Override
  public SpanStore spanStore() {
    return this;
  }

  @Override
  public void accept(List<Span> batch) {
    if (closed || batch.isEmpty()) {
      return;
    }
    long added = 0;
    Resource lastResource = null;
    for (Span span : batch) {
      if (span.resource() != lastResource) { // spans of a batch share their resource
        lastResource = span.resource();
        rememberService(lastResource.serviceName());
      }
      added += append(span, SpanSizes.estimate(span));
    }
    spans.addAndGet(batch.size());
    if (bytes.addAndGet(added) > maxBytes) {
      evict();
    }
  }

  /** Appends to the span's trace, creating it if needed; returns the bytes it added. */
  private long append(Span span, long size) {
    TraceId traceId = span.traceId();
    while (true) {
      Entry entry = traces.get(traceId);
      long added = size;
      if (entry == null) {
        Entry created = new Entry(traceId);
        entry = traces.putIfAbsent(traceId, created);
        if (entry == null) {
          entry = created;
          arrivals.add(created);
          added += SpanSizes.TRACE;
        }
      }
      synchronized (entry) {
        if (!entry.evicted) {
          entry.add(span, added);
          return added;
        }
      }
      traces.remove(traceId, entry); // evicted meanwhile: start the trace again
    }
  }

  private void rememberService(String service) {
    if (services.size() < MAX_SERVICES || services.contains(service)) {
      services.add(service);
    }
  }

  private void evict() {
    while (bytes.get() > maxBytes) {
      Entry oldest = arrivals.poll();
      if (oldest == null) {
        return;
      }
      long freedBytes;
      int freedSpans;
      synchronized (oldest) {
        oldest.evicted = true;
        freedBytes = oldest.bytes;
        freedSpans = oldest.size;
        oldest.spans = Entry.NONE;
        oldest.size = 0;
      }
      traces.remove(oldest.traceId, oldest);
      bytes.addAndGet(-freedBytes);
      spans.addAndGet(-freedSpans);
      evicted.increment();
    }
  }

  @Override
  public Optional<Trace> trace(TraceId traceId) {
    Entry entry = traces.get(traceId);
    if (entry == null) {
      return Optional.empty();
    }
    Span[] copy;
    synchronized (entry) {
      if (entry.size == 0) {
        return Optional.empty();
      }
      copy = Arrays.copyOf(entry.spans, entry.size);
    }
    Arrays.sort(copy, BY_START);
    return Optional.of(new Trace(traceId, List.of(copy)));
  }

  @Override
  public List<String> services() {
    return services.stream().sorted().toList();
  }

  @Override
  public void check() {
    if (closed) {
      throw new IllegalStateException("the in-memory span store is closed");
    }
  }

  @Override
  public void close() {
    closed = true;
    traces.clear();
    arrivals.clear();
    services.clear();
    bytes.set(0);
    spans.set(0);
  }

  @Override
  public String toString() {
    return "InMemoryStorage{" + stats() + ", maxBytes=" + maxBytes + "}";
  }

  /** One trace's spans; every field is guarded by the entry's monitor. */
  private static final class Entry {
    static final Span[] NONE = new Span[0];

    final TraceId traceId;
    Span[] spans = NONE;
    int size;
    long bytes;
    boolean evicted;

    Entry(TraceId traceId) {
      this.traceId = traceId;
    }

    void add(Span span, long spanBytes) {
      if (size == spans.length) {
        spans = Arrays.copyOf(spans, Math.max(4, size * 2));
      }
      spans[size++] = span;
      bytes += spanBytes;
    }
  }
}
