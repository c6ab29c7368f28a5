package dev.uat.observatory.metrics;

import dev.uat.observatory.model.Span;
import dev.uat.observatory.model.StatusCode;

/**
 * A 30-minute ring of 10-second slots of one series' figures: calls, errors, duration sum and
 * histogram, tokens and time to first token (GenAI series), and exemplar trace ids (the slowest
 * spans and the latest errors). Slots are allocated on first use and reused as the ring turns. Not
 * thread-safe: guarded by its owner's lock.
 */
final class Window {
  static final long SLOT_MILLIS = 10_000;
  static final int SLOTS = 180;
  static final int EXEMPLARS = 3;

  /** One slot's figures. */
  static final class Slot {
    long index = Long.MIN_VALUE; // epoch millis / SLOT_MILLIS
    long calls;
    long errors;
    final long[] histogram = new long[Buckets.COUNT];
    long inputTokens;
    long outputTokens;
    long[] ttftHistogram; // GenAI only
    long ttftCount;
    final long[] slowMicros = new long[EXEMPLARS];
    final long[] slowTraces = new long[2 * EXEMPLARS];
    final long[] errorTraces = new long[2 * EXEMPLARS];
    int errorNext;

    void reset(long newIndex) {
      index = newIndex;
      calls = errors = inputTokens = outputTokens = ttftCount = 0;
      java.util.Arrays.fill(histogram, 0);
      if (ttftHistogram != null) {
        java.util.Arrays.fill(ttftHistogram, 0);
      }
      java.util.Arrays.fill(slowMicros, -1);
      java.util.Arrays.fill(slowTraces, 0);
      java.util.Arrays.fill(errorTraces, 0);
      errorNext = 0;
    }
  }

  private final Slot[] slots = new Slot[SLOTS];

  /** The slot for {@code epochMillis}, or null when that time is older than the ring holds. */
  Slot slot(long epochMillis) {
    long index = Math.floorDiv(epochMillis, SLOT_MILLIS);
    int position = (int) Math.floorMod(index, (long) SLOTS);
    Slot slot = slots[position];
    if (slot == null) {
      slot = new Slot();
      slot.reset(index);
      slots[position] = slot;
    } else if (slot.index < index) {
      slot.reset(index);
    } else if (slot.index > index) {
      return null;
    }
    return slot;
  }

  /** The slot holding exactly {@code index}, or null. */
  Slot existing(long index) {
    Slot slot = slots[(int) Math.floorMod(index, (long) SLOTS)];
    return slot != null && slot.index == index ? slot : null;
  }

  /** Records one span. */
  /** Counts {@code span} (its duration, error status and trace id) in {@code slot}. */
  static void record(Slot slot, Span span) {
    record(
        slot,
        span.durationNanos() / 1000,
        span.statusCode() == StatusCode.ERROR,
        span.traceIdHigh(),
        span.traceIdLow());
  }

  static void record(Slot slot, long micros, boolean error, long traceHigh, long traceLow) {
    slot.calls++;
    slot.histogram[Buckets.index(micros)]++;
    if (error) {
      slot.errors++;
      int i = slot.errorNext;
      slot.errorTraces[2 * i] = traceHigh;
      slot.errorTraces[2 * i + 1] = traceLow;
      slot.errorNext = (i + 1) % EXEMPLARS;
    }
    int min = 0;
    for (int i = 1; i < EXEMPLARS; i++) {
      if (slot.slowMicros[i] < slot.slowMicros[min]) {
        min = i;
      }
    }
    if (micros > slot.slowMicros[min]) {
      slot.slowMicros[min] = micros;
      slot.slowTraces[2 * min] = traceHigh;
      slot.slowTraces[2 * min + 1] = traceLow;
    }
  }
}
