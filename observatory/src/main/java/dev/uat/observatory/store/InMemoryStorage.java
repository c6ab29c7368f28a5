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
 * <p>Service names stay listed after their traces are evicted (at most {@value #MAX_SERVICES}), and
 * so do operations (at most {@value #MAX_OPERATIONS} per service).
 */
public final class InMemoryStorage implements Storage, SpanConsumer, SpanStore {
  /** Most distinct service names remembered; spans of more services are stored, not indexed. */
  public static final int MAX_SERVICES = 10_000;

  /** Most distinct span names remembered per service. */
  public static final int MAX_OPERATIONS = 10_000;

  private static final Comparator<Span> BY_START =
      Comparator.comparingLong(Span::startEpochNanos).thenComparingLong(Span::spanId);

  private final long maxBytes;
  private final ConcurrentHashMap<TraceId, Entry> traces = new ConcurrentHashMap<>();
  private final ConcurrentLinkedDeque<Entry> arrivals = new ConcurrentLinkedDeque<>();
  private final AtomicLong bytes = new AtomicLong();
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
    ServiceIndex index = null;
    long[] resourceBits = new long[2];
    for (Span span : batch) {
      if (span.resource() != lastResource) { // spans of a batch share their resource
        lastResource = span.resource();
        index = serviceIndex(lastResource.serviceName());
        resourceBits[0] = 0;
        resourceBits[1] = 0;
        TagBloom.addAll(resourceBits, lastResource.attributes());
      }
      if (index != null) {
        index.operation(span.name(), span.kind());
      }
      added += append(span, SpanSizes.estimate(span), index, resourceBits);
    }
    spans.addAndGet(batch.size());
    if (bytes.addAndGet(added) > maxBytes) {
      evict();
    }
  }

  /** Appends to the span's trace, creating it if needed; returns the bytes it added. */
  private long append(Span span, long size, ServiceIndex index, long[] resourceBits) {
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
          if (entry.add(span, added, resourceBits) && index != null) {
            index.traces.add(entry); // the trace's first span of this service
          }
          return added;
        }
      }
      traces.remove(traceId, entry); // evicted meanwhile: start the trace again
    }
  }

  private ServiceIndex serviceIndex(String service) {
    ServiceIndex index = services.get(service);
    if (index == null && services.size() < MAX_SERVICES) {
      index = services.computeIfAbsent(service, s -> new ServiceIndex());
    }
    return index;
  }

  private void evict() {
    while (bytes.get() > maxBytes) {
      Entry oldest = arrivals.poll();
      if (oldest == null) {
        return;
      }
      long freedBytes;
      int freedSpans;
      String[] serviceNames;
      synchronized (oldest) {
        oldest.evicted = true;
        freedBytes = oldest.bytes;
        freedSpans = oldest.size;
        serviceNames = Arrays.copyOf(oldest.services, oldest.serviceCount);
        oldest.clear();
      }
      traces.remove(oldest.traceId, oldest);
      for (String service : serviceNames) {
        ServiceIndex index = services.get(service);
        if (index != null) {
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
    return services.keySet().stream().sorted().toList();
  }

  @Override
  public List<Operation> operations(String service) {
    ServiceIndex index = services.get(service);
    if (index == null) {
      return List.of();
    }
    List<Operation> operations = new ArrayList<>();
    index.operations.forEach(
        (name, kinds) -> {
          for (SpanKind kind : SpanKind.values()) {
            if ((kinds & (1 << kind.ordinal())) != 0) {
              operations.add(new Operation(name, kind));
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
    spans.set(0);
  }

  @Override
  public String toString() {
    return "InMemoryStorage{" + stats() + ", maxBytes=" + maxBytes + "}";
  }

  /** A service's traces (in the order the service first appeared in them) and operations. */
  private static final class ServiceIndex {
    final ConcurrentLinkedDeque<Entry> traces = new ConcurrentLinkedDeque<>();
    final ConcurrentHashMap<String, Integer> operations = new ConcurrentHashMap<>();

    void operation(String name, SpanKind kind) {
      int bit = 1 << kind.ordinal();
      Integer kinds = operations.get(name);
      if (kinds != null && (kinds & bit) != 0) {
        return;
      }
      if (kinds == null && operations.size() >= MAX_OPERATIONS) {
        return;
      }
      operations.merge(name, bit, (a, b) -> a | b);
    }

    /** Eviction goes in arrival order, so evicted traces gather at the head. */
    void dropEvictedHeads() {
      Entry head;
      while ((head = traces.peekFirst()) != null && head.evicted) {
        traces.remove(head);
      }
    }
  }

  /** One trace's spans and summary; every field is guarded by the entry's monitor. */
  private static final class Entry {
    static final Span[] NONE = new Span[0];
    static final String[] NO_SERVICES = new String[0];
    static final int[] NO_COUNTS = new int[0];

    final TraceId traceId;
    Span[] spans = NONE;
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
    int[] serviceSpans = NO_COUNTS;
    int serviceCount;
    final long[] bloom = new long[2];

    // dependency edges, computed when asked for and kept until the trace changes
    List<DependencyLink> edges;
    int edgesSize = -1;

    Entry(TraceId traceId) {
      this.traceId = traceId;
    }

    /** Adds a span; returns true when it is the trace's first span of its service. */
    boolean add(Span span, long spanBytes, long[] resourceBits) {
      if (size == spans.length) {
        spans = Arrays.copyOf(spans, Math.max(4, size * 2));
      }
      spans[size++] = span;
      bytes += spanBytes;
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
      String service = span.serviceName();
      for (int i = 0; i < serviceCount; i++) {
        if (services[i] == service || services[i].equals(service)) {
          serviceSpans[i]++;
          return false;
        }
      }
      if (serviceCount == services.length) {
        services = Arrays.copyOf(services, Math.max(2, serviceCount * 2));
        serviceSpans = Arrays.copyOf(serviceSpans, services.length);
      }
      services[serviceCount] = service;
      serviceSpans[serviceCount++] = 1;
      return true;
    }

    void clear() {
      spans = NONE;
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
