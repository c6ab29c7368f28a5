package dev.uat.observatory.store;

import dev.uat.observatory.model.SpanKind;
import java.util.concurrent.atomic.AtomicInteger;

/** A span name of one service, with the kinds it was seen with (kept until it dies). */
final class OpIndex extends RefCount {
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
