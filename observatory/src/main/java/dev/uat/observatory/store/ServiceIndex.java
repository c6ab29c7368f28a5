package dev.uat.observatory.store;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;

/** A service's traces (in the order the service first appeared in them) and operations. */
final class ServiceIndex extends RefCount {
  final String name;
  final long bytes;
  final ConcurrentLinkedDeque<TraceEntry> traces = new ConcurrentLinkedDeque<>();
  final ConcurrentHashMap<String, OpIndex> operations = new ConcurrentHashMap<>();

  ServiceIndex(String name) {
    this.name = name;
    this.bytes = SpanSizes.SERVICE + SpanSizes.string(name);
  }

  /** Eviction goes in arrival order, so evicted traces gather at the head. */
  void dropEvictedHeads() {
    TraceEntry head;
    while ((head = traces.peekFirst()) != null && head.evicted) {
      traces.remove(head);
    }
  }
}
