package dev.uat.observatory.store;

import dev.uat.observatory.model.Resource;
import dev.uat.observatory.model.Span;
import dev.uat.observatory.model.SpanKind;
import dev.uat.observatory.model.Trace;
import dev.uat.observatory.model.TraceId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Spans kept on the heap, bounded by an approximate byte budget: when the stored spans exceed it,
 * whole traces are evicted, the trace that arrived first going first.
 *
 * <p>Each trace carries a summary kept up to date as its spans arrive (start, end, root span, span
 * and error counts per service, the longest span, and a Bloom filter of its tags and span names),
 * and each service an index of its traces in arrival order and of its operations. A search walks
 * the traces of the service newest first, skips those whose summary rules them out and checks the
 * spans of the rest; it stops at the limit.
 *
 * <p>Thread-safe and non-blocking for practical purposes: writers and readers of different traces
 * never wait for each other, and those of one trace wait only for a short array copy or check.
 * {@link #accept} never throws for valid spans; after {@link #close()} it drops them. Sizes are
 * estimates of retained heap (see {@code SpanSizes}), not measurements.
 *
 * <p>The indexes count in the byte budget too: a service's entry and its name, an operation's entry
 * and its name, each trace's place in its services' lists, and each resource and scope once per
 * trace that refers to it. An index entry lives as long as a stored span refers to it: a service
 * (or operation) whose last span is evicted disappears from {@link #services()} (or {@link
 * #operations}). So the store's accounted bytes ({@link Stats#bytes()}) stay within the budget
 * (plus the batch being added) whatever names senders choose.
 */
public final class InMemoryStorage implements Storage, SpanConsumer, SpanStore {
  private final long maxBytes;
  private final ConcurrentHashMap<TraceId, TraceEntry> traces = new ConcurrentHashMap<>();
  private final ConcurrentLinkedDeque<TraceEntry> arrivals = new ConcurrentLinkedDeque<>();
  private final AtomicLong bytes = new AtomicLong();
  private final AtomicLong indexBytes = new AtomicLong();
  private final AtomicLong spans = new AtomicLong();
  private final LongAdder evicted = new LongAdder();
  private final ConcurrentHashMap<String, ServiceIndex> services = new ConcurrentHashMap<>();
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

  /**
   * What the store holds now; the figures are read one by one, not as one snapshot.
   *
   * @param bytes everything accounted against the budget, indexes included
   * @param indexBytes the part of {@code bytes} held by the service and operation indexes
   */
  public record Stats(
      long traces, long spans, long bytes, long evictedTraces, long indexBytes, long services) {}

  public Stats stats() {
    return new Stats(
        traces.size(),
        spans.get(),
        bytes.get(),
        evicted.sum(),
        indexBytes.get(),
        this.services.size());
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
    ServiceIndex index = null;
    OpIndex last = null;
    long[] resourceBits = new long[2];
    for (Span span : batch) {
      if (span.resource() != lastResource) { // spans of a batch share their resource
        lastResource = span.resource();
        index = null;
        resourceBits[0] = 0;
        resourceBits[1] = 0;
        TagBloom.addAll(resourceBits, lastResource.attributes());
      }
      if (index == null || !index.acquire()) {
        index = acquireService(lastResource.serviceName());
        last = null;
      }
      OpIndex op =
          last != null && last.name == span.name() && last.acquire()
              ? last
              : acquireOperation(index, span.name());
      op.addKind(span.kind());
      last = op;
      long size = SpanSizes.estimate(span, op.name == span.name());
      added += append(span, size, index, op, resourceBits);
    }
    spans.addAndGet(batch.size());
    if (bytes.addAndGet(added) > maxBytes) {
      evict();
    }
  }

  /** Appends to the span's trace, creating it if needed; returns the bytes it added. */
  private long append(Span span, long size, ServiceIndex index, OpIndex op, long[] resourceBits) {
    TraceId traceId = span.traceId();
    while (true) {
      TraceEntry entry = traces.get(traceId);
      long added = size;
      if (entry == null) {
        TraceEntry created = new TraceEntry(traceId);
        entry = traces.putIfAbsent(traceId, created);
        if (entry == null) {
          entry = created;
          arrivals.add(created);
          added += SpanSizes.TRACE;
        }
      }
      synchronized (entry) {
        if (!entry.evicted) {
          return entry.add(span, added, index, op, resourceBits);
        }
      }
      traces.remove(traceId, entry); // evicted meanwhile: start the trace again
    }
  }

  /** The service's index entry with one more span counted; created (and charged) when new. */
  private ServiceIndex acquireService(String service) {
    while (true) {
      ServiceIndex index = services.get(service);
      if (index == null) {
        ServiceIndex created = new ServiceIndex(service);
        index = services.putIfAbsent(service, created);
        if (index == null) {
          charge(created.bytes);
          index = created;
        }
      }
      if (index.acquire()) {
        return index;
      }
      services.remove(service, index); // its last span was evicted just now
    }
  }

  /** The operation's index entry with one more span counted; created (and charged) when new. */
  private OpIndex acquireOperation(ServiceIndex index, String name) {
    while (true) {
      OpIndex op = index.operations.get(name);
      if (op == null) {
        OpIndex created = new OpIndex(index, name);
        op = index.operations.putIfAbsent(name, created);
        if (op == null) {
          charge(created.bytes);
          op = created;
        }
      }
      if (op.acquire()) {
        return op;
      }
      index.operations.remove(name, op);
    }
  }

  private void charge(long indexEntryBytes) {
    bytes.addAndGet(indexEntryBytes);
    indexBytes.addAndGet(indexEntryBytes);
  }

  private void evict() {
    while (bytes.get() > maxBytes) {
      TraceEntry oldest = arrivals.poll();
      if (oldest == null) {
        return;
      }
      long freedBytes;
      int freedSpans;
      OpIndex[] ops;
      ServiceIndex[] indexes;
      int[] counts;
      synchronized (oldest) {
        oldest.evicted = true;
        freedBytes = oldest.bytes;
        freedSpans = oldest.size;
        ops = oldest.ops;
        indexes = oldest.indexes;
        counts = oldest.serviceSpans;
        oldest.clear();
      }
      traces.remove(oldest.traceId, oldest);
      for (int i = 0; i < freedSpans; i++) {
        OpIndex op = ops[i];
        if (op.release(1)) {
          op.service.operations.remove(op.name, op);
          freedBytes += op.bytes;
          indexBytes.addAndGet(-op.bytes);
        }
      }
      for (int i = 0; i < indexes.length && indexes[i] != null; i++) {
        ServiceIndex index = indexes[i];
        if (index.release(counts[i])) {
          services.remove(index.name, index);
          freedBytes += index.bytes;
          indexBytes.addAndGet(-index.bytes);
        } else {
          index.dropEvictedHeads();
        }
      }
      bytes.addAndGet(-freedBytes);
      spans.addAndGet(-freedSpans);
      evicted.increment();
    }
  }

  @Override
  public Optional<Trace> trace(TraceId traceId) {
    TraceEntry entry = traces.get(traceId);
    return entry == null ? Optional.empty() : Optional.ofNullable(entry.toTrace());
  }

  @Override
  public List<String> services() {
    return services.values().stream().filter(RefCount::live).map(i -> i.name).sorted().toList();
  }

  @Override
  public List<Operation> operations(String service) {
    ServiceIndex index = services.get(service);
    if (index == null) {
      return List.of();
    }
    List<Operation> operations = new ArrayList<>();
    index.operations.forEach(
        (name, op) -> {
          int kinds = op.kinds.get();
          if (op.live() && kinds != 0) {
            for (SpanKind kind : SpanKind.values()) {
              if ((kinds & (1 << kind.ordinal())) != 0) {
                operations.add(new Operation(name, kind));
              }
            }
          }
        });
    operations.sort(Comparator.comparing(Operation::name).thenComparing(o -> o.kind().ordinal()));
    return operations;
  }

  @Override
  public List<Trace> findTraces(TraceQuery query) {
    List<Trace> found = new ArrayList<>();
    for (TraceEntry entry : matching(query)) {
      Trace trace = entry.toTrace();
      if (trace != null) {
        found.add(trace);
      }
    }
    return found;
  }

  @Override
  public List<TraceSummary> findTraceSummaries(TraceQuery query) {
    List<TraceSummary> found = new ArrayList<>();
    for (TraceEntry entry : matching(query)) {
      TraceSummary summary = entry.summary();
      if (summary != null) {
        found.add(summary);
      }
    }
    return found;
  }

  /** The entries that match, newest first, at most the query's limit. */
  private List<TraceEntry> matching(TraceQuery query) {
    Iterator<TraceEntry> candidates;
    if (query.service().isEmpty()) {
      candidates = arrivals.descendingIterator();
    } else {
      ServiceIndex index = services.get(query.service());
      if (index == null) {
        return List.of();
      }
      candidates = index.traces.descendingIterator();
    }
    TagBloom.Probe probe = new TagBloom.Probe(query);
    List<TraceEntry> found = new ArrayList<>();
    while (candidates.hasNext() && found.size() < query.limit()) {
      TraceEntry entry = candidates.next();
      if (entry.matches(query, probe)) {
        found.add(entry);
      }
    }
    return found;
  }

  @Override
  public List<DependencyLink> dependencies(long endEpochMillis, long lookbackMillis) {
    long endNanos = endEpochMillis * 1_000_000;
    long startNanos = (endEpochMillis - Math.max(0, lookbackMillis)) * 1_000_000;
    Map<List<String>, long[]> links = new HashMap<>();
    for (TraceEntry entry : traces.values()) {
      for (DependencyLink edge : entry.edges(startNanos, endNanos)) {
        long[] counts =
            links.computeIfAbsent(List.of(edge.parent(), edge.child()), k -> new long[2]);
        counts[0] += edge.callCount();
        counts[1] += edge.errorCount();
      }
    }
    List<DependencyLink> result = new ArrayList<>(links.size());
    links.forEach((k, v) -> result.add(new DependencyLink(k.get(0), k.get(1), v[0], v[1])));
    result.sort(Comparator.comparing(DependencyLink::parent).thenComparing(DependencyLink::child));
    return result;
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
    indexBytes.set(0);
    spans.set(0);
  }

  @Override
  public String toString() {
    return "InMemoryStorage{" + stats() + ", maxBytes=" + maxBytes + "}";
  }
}
