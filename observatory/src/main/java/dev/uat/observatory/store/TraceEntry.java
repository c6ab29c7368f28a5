package dev.uat.observatory.store;

import dev.uat.observatory.model.Span;
import dev.uat.observatory.model.StatusCode;
import dev.uat.observatory.model.Trace;
import dev.uat.observatory.model.TraceId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One trace's spans and summary; every field is guarded by the entry's monitor. */
final class TraceEntry {
  private static final Comparator<Span> BY_START =
      Comparator.comparingLong(Span::startEpochNanos).thenComparingLong(Span::spanId);

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

  TraceEntry(TraceId traceId) {
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
