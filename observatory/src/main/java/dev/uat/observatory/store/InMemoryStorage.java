package dev.uat.observatory.store;

import dev.uat.observatory.model.Resource;
import dev.uat.observatory.model.Span;
import dev.uat.observatory.model.SpanKind;
import dev.uat.observatory.model.StatusCode;
import dev.uat.observatory.model.Trace;
import dev.uat.observatory.model.TraceId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;
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
  private static final Comparator<Span> BY_START =
      Comparator.comparingLong(Span::startEpochNanos).thenComparingLong(Span::spanId);

  private final long maxBytes;
  private final ConcurrentHashMap<TraceId, Entry> traces = new ConcurrentHashMap<>();
  private final ConcurrentLinkedDeque<Entry> arrivals = new ConcurrentLinkedDeque<>();
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
      Entry oldest = arrivals.poll();
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
    Entry entry = traces.get(traceId);
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
    for (Entry entry : matching(query)) {
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
    for (Entry entry : matching(query)) {
      TraceSummary summary = entry.summary();
      if (summary != null) {
        found.add(summary);
      }
    }
    return found;
  }

  /** The entries that match, newest first, at most the query's limit. */
  private List<Entry> matching(TraceQuery query) {
    Iterator<Entry> candidates;
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
    List<Entry> found = new ArrayList<>();
    while (candidates.hasNext() && found.size() < query.limit()) {
      Entry entry = candidates.next();
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
    for (Entry entry : traces.values()) {
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

  /**
   * A count of the stored spans that refer to an index entry. Once it falls to zero the entry is
   * dead for good ({@link #DEAD}): a writer that finds it dead makes a new one, so the remover
   * never takes away an entry a span was just counted in.
   */
  private abstract static class RefCount {
    private static final long DEAD = -1;
    private final AtomicLong spans = new AtomicLong();

    /** Counts one more span; false when the entry is dead. */
    final boolean acquire() {
      while (true) {
        long current = spans.get();
        if (current == DEAD) {
          return false;
        }
        if (spans.compareAndSet(current, current + 1)) {
          return true;
        }
      }
    }

    /** Counts {@code n} spans fewer; true when that was the last and the entry is now dead. */
    final boolean release(long n) {
      while (true) {
        long current = spans.get();
        long next = current - n;
        if (next <= 0) {
          if (spans.compareAndSet(current, DEAD)) {
            return true;
          }
        } else if (spans.compareAndSet(current, next)) {
          return false;
        }
      }
    }

    final boolean live() {
      return spans.get() > 0;
    }
  }

  /** A service's traces (in the order the service first appeared in them) and operations. */
  private static final class ServiceIndex extends RefCount {
    final String name;
    final long bytes;
    final ConcurrentLinkedDeque<Entry> traces = new ConcurrentLinkedDeque<>();
    final ConcurrentHashMap<String, OpIndex> operations = new ConcurrentHashMap<>();

    ServiceIndex(String name) {
      this.name = name;
      this.bytes = SpanSizes.SERVICE + SpanSizes.string(name);
    }

    /** Eviction goes in arrival order, so evicted traces gather at the head. */
    void dropEvictedHeads() {
      Entry head;
      while ((head = traces.peekFirst()) != null && head.evicted) {
        traces.remove(head);
      }
    }
  }

  /** A span name of one service, with the kinds it was seen with (kept until it dies). */
  private static final class OpIndex extends RefCount {
    final ServiceIndex service;
    final String name;
    final long bytes;
    final AtomicInteger kinds = new AtomicInteger();

    OpIndex(ServiceIndex service, String name) {
      this.service = service;
      this.name = name;
      this.bytes = SpanSizes.OPERATION + SpanSizes.string(name);
    }

    void addKind(SpanKind kind) {
      int bit = 1 << kind.ordinal();
      int current;
      while (((current = kinds.get()) & bit) == 0 && !kinds.compareAndSet(current, current | bit)) {
        // another kind was added meanwhile: try again
      }
    }
  }

  /** One trace's spans and summary; every field is guarded by the entry's monitor. */
  private static final class Entry {
    static final Span[] NONE = new Span[0];
    static final String[] NO_SERVICES = new String[0];
    static final int[] NO_COUNTS = new int[0];
    static final OpIndex[] NO_OPS = new OpIndex[0];
    static final ServiceIndex[] NO_INDEXES = new ServiceIndex[0];
    static final Object[] NO_SHARED = new Object[0];

    final TraceId traceId;
    Span[] spans = NONE;
    OpIndex[] ops = NO_OPS; // each span's operation, counted until the trace is evicted
    int size;
    long bytes;
    volatile boolean evicted;

    // the summary
    long minStart = Long.MAX_VALUE;
    long maxStart = Long.MIN_VALUE;
    long maxEnd = Long.MIN_VALUE;
    long maxDuration;
    int errors;
    Span root;
    String[] services = NO_SERVICES;
    ServiceIndex[] indexes = NO_INDEXES;
    int[] serviceSpans = NO_COUNTS;
    int serviceCount;
    final long[] bloom = new long[2];

    // the resources and scopes the spans refer to, each charged to this trace once
    Object[] shared = NO_SHARED;
    int sharedCount;

    // dependency edges, computed when asked for and kept until the trace changes
    List<DependencyLink> edges;
    int edgesSize = -1;

    Entry(TraceId traceId) {
      this.traceId = traceId;
    }

    /** Adds a span counted in {@code index} and {@code op}; returns the bytes this added. */
    long add(Span span, long spanBytes, ServiceIndex index, OpIndex op, long[] resourceBits) {
      if (size == spans.length) {
        spans = Arrays.copyOf(spans, Math.max(4, size * 2));
        ops = Arrays.copyOf(ops, spans.length);
      }
      ops[size] = op;
      spans[size++] = span;
      long added = spanBytes;
      if (!holds(span.resource())) {
        added += SpanSizes.TRACE_SHARED + SpanSizes.resource(span.resource());
      }
      if (!holds(span.scope())) {
        added += SpanSizes.TRACE_SHARED + SpanSizes.scope(span.scope());
      }
      long start = span.startEpochNanos();
      minStart = Math.min(minStart, start);
      maxStart = Math.max(maxStart, start);
      maxEnd = Math.max(maxEnd, span.endEpochNanos());
      maxDuration = Math.max(maxDuration, span.durationNanos());
      if (span.statusCode() == StatusCode.ERROR) {
        errors++;
      }
      if (root == null
          || (span.isRoot() != root.isRoot() ? span.isRoot() : start < root.startEpochNanos())) {
        root = span;
      }
      TagBloom.addSpan(bloom, span);
      bloom[0] |= resourceBits[0];
      bloom[1] |= resourceBits[1];
      for (int i = 0; i < serviceCount; i++) {
        if (indexes[i] == index) {
          serviceSpans[i]++;
          bytes += added;
          return added;
        }
      }
      if (serviceCount == services.length) {
        int capacity = Math.max(2, serviceCount * 2);
        services = Arrays.copyOf(services, capacity);
        indexes = Arrays.copyOf(indexes, capacity);
        serviceSpans = Arrays.copyOf(serviceSpans, capacity);
      }
      services[serviceCount] = index.name;
      indexes[serviceCount] = index;
      serviceSpans[serviceCount++] = 1;
      index.traces.add(this); // the trace's first span of this service
      added += SpanSizes.TRACE_SERVICE;
      bytes += added;
      return added;
    }

    /** Whether {@code resourceOrScope} was charged to this trace already; remembers it if not. */
    private boolean holds(Object resourceOrScope) {
      for (int i = sharedCount - 1; i >= 0; i--) {
        if (shared[i] == resourceOrScope) {
          return true;
        }
      }
      if (sharedCount == shared.length) {
        shared = Arrays.copyOf(shared, Math.max(2, sharedCount * 2));
      }
      shared[sharedCount++] = resourceOrScope;
      return false;
    }

    void clear() {
      spans = NONE;
      ops = NO_OPS;
      shared = NO_SHARED;
      sharedCount = 0;
      size = 0;
      edges = null;
      root = null;
    }

    synchronized Trace toTrace() {
      if (size == 0) {
        return null;
      }
      Span[] copy = Arrays.copyOf(spans, size);
      Arrays.sort(copy, BY_START);
      return new Trace(traceId, List.of(copy));
    }

    synchronized TraceSummary summary() {
      if (size == 0) {
        return null;
      }
      Map<String, Integer> byService = new LinkedHashMap<>();
      for (int i = 0; i < serviceCount; i++) {
        byService.put(services[i], serviceSpans[i]);
      }
      return new TraceSummary(
          traceId,
          root.serviceName(),
          root.name(),
          minStart,
          Math.max(0, maxEnd - minStart),
          size,
          errors,
          byService);
    }

    synchronized boolean matches(TraceQuery query, TagBloom.Probe probe) {
      if (size == 0
          || (query.startMaxNanos() != 0 && minStart > query.startMaxNanos())
          || (query.startMinNanos() != 0 && maxStart < query.startMinNanos())
          || query.minDurationNanos() > maxDuration
          || !probe.mayMatch(bloom[0], bloom[1])) {
        return false;
      }
      for (int i = 0; i < size; i++) {
        if (SpanMatcher.matches(spans[i], query)) {
          return true;
        }
      }
      return false;
    }

    /** This trace's calls between services, when it started in the window. */
    synchronized List<DependencyLink> edges(long startNanos, long endNanos) {
      if (size == 0 || minStart < startNanos || minStart > endNanos) {
        return List.of();
      }
      if (edgesSize != size) {
        edges = computeEdges();
        edgesSize = size;
      }
      return edges;
    }

    private List<DependencyLink> computeEdges() {
      if (serviceCount < 2) {
        return List.of();
      }
      LongIntMap index = new LongIntMap(size);
      for (int i = 0; i < size; i++) {
        index.putIfAbsent(spans[i].spanId(), i);
      }
      Map<List<String>, long[]> counts = new HashMap<>();
      for (int i = 0; i < size; i++) {
        Span span = spans[i];
        if (span.isRoot()) {
          continue;
        }
        int parent = index.get(span.parentSpanId());
        if (parent < 0) {
          continue;
        }
        String from = spans[parent].serviceName();
        String to = span.serviceName();
        if (!from.equals(to)) {
          long[] c = counts.computeIfAbsent(List.of(from, to), k -> new long[2]);
          c[0]++;
          if (span.statusCode() == StatusCode.ERROR) {
            c[1]++;
          }
        }
      }
      List<DependencyLink> result = new ArrayList<>(counts.size());
      counts.forEach((k, v) -> result.add(new DependencyLink(k.get(0), k.get(1), v[0], v[1])));
      return List.copyOf(result);
    }
  }
}
