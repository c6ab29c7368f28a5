package dev.uat.observatory.metrics;

import dev.uat.observatory.model.TraceId;
import java.util.ArrayList;
import java.util.List;

/**
 * Figures of a series (or several, merged) over a time range: calls, errors, the duration
 * histogram, tokens and time to first token for GenAI series, and exemplar trace ids (the slowest
 * spans, the latest errors). Built by adding slots; immutable once read.
 */
public final class Stats {
  private long calls;
  private long errors;
  private final long[] histogram = new long[Buckets.COUNT];
  private long inputTokens;
  private long outputTokens;
  private final long[] ttftHistogram = new long[Buckets.COUNT];
  private long ttftCount;
  private final List<long[]> slow = new ArrayList<>(); // {micros, high, low}
  private final List<long[]> errorTraces = new ArrayList<>(); // {high, low}

  void add(Window.Slot slot) {
    calls += slot.calls;
    errors += slot.errors;
    for (int i = 0; i < histogram.length; i++) {
      histogram[i] += slot.histogram[i];
    }
    inputTokens += slot.inputTokens;
    outputTokens += slot.outputTokens;
    ttftCount += slot.ttftCount;
    if (slot.ttftHistogram != null) {
      for (int i = 0; i < ttftHistogram.length; i++) {
        ttftHistogram[i] += slot.ttftHistogram[i];
      }
    }
    for (int i = 0; i < Window.EXEMPLARS; i++) {
      if (slot.slowMicros[i] >= 0 && (slot.slowTraces[2 * i] | slot.slowTraces[2 * i + 1]) != 0) {
        slow.add(
            new long[] {slot.slowMicros[i], slot.slowTraces[2 * i], slot.slowTraces[2 * i + 1]});
      }
      if ((slot.errorTraces[2 * i] | slot.errorTraces[2 * i + 1]) != 0) {
        errorTraces.add(new long[] {slot.errorTraces[2 * i], slot.errorTraces[2 * i + 1]});
      }
    }
  }

  public long calls() {
    return calls;
  }

  public long errors() {
    return errors;
  }

  /** Errors per call, 0 without calls. */
  public double errorRatio() {
    return calls == 0 ? 0 : (double) errors / calls;
  }

  /** The {@code q} quantile of durations (0..1), milliseconds; NaN without calls. */
  public double quantileMillis(double q) {
    return Buckets.quantileMillis(histogram, q);
  }

  public long inputTokens() {
    return inputTokens;
  }

  public long outputTokens() {
    return outputTokens;
  }

  /** Spans that reported a time to first token. */
  public long ttftCount() {
    return ttftCount;
  }

  /** The {@code q} quantile of the time to first token, milliseconds; NaN when none reported. */
  public double ttftQuantileMillis(double q) {
    return Buckets.quantileMillis(ttftHistogram, q);
  }

  /** Trace ids of the slowest spans, slowest first, at most {@code n}, distinct. */
  public List<TraceId> slowestTraces(int n) {
    List<long[]> sorted = new ArrayList<>(slow);
    sorted.sort((a, b) -> Long.compare(b[0], a[0]));
    List<TraceId> ids = new ArrayList<>();
    for (long[] s : sorted) {
      TraceId id = new TraceId(s[1], s[2]);
      if (!ids.contains(id)) {
        ids.add(id);
      }
      if (ids.size() == n) {
        break;
      }
    }
    return ids;
  }

  /** Trace ids of spans over {@code thresholdMillis}, slowest first, at most {@code n}. */
  public List<TraceId> tracesSlowerThan(double thresholdMillis, int n) {
    List<TraceId> ids = new ArrayList<>();
    List<long[]> sorted = new ArrayList<>(slow);
    sorted.sort((a, b) -> Long.compare(b[0], a[0]));
    for (long[] s : sorted) {
      TraceId id = new TraceId(s[1], s[2]);
      if (s[0] / 1000.0 > thresholdMillis && !ids.contains(id)) {
        ids.add(id);
      }
      if (ids.size() == n) {
        break;
      }
    }
    return ids;
  }

  /** Trace ids of recent errors, latest slots first, at most {@code n}, distinct. */
  public List<TraceId> errorTraces(int n) {
    List<TraceId> ids = new ArrayList<>();
    for (int i = errorTraces.size() - 1; i >= 0 && ids.size() < n; i--) {
      TraceId id = new TraceId(errorTraces.get(i)[0], errorTraces.get(i)[1]);
      if (!ids.contains(id)) {
        ids.add(id);
      }
    }
    return ids;
  }
}
