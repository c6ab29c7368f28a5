package dev.uat.observatory.metrics;

import dev.uat.observatory.ingest.SpanListener;
import dev.uat.observatory.model.Span;
import dev.uat.observatory.model.SpanKind;
import io.opentelemetry.api.metrics.Meter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * RED metrics (rate, errors, duration) of the spans received: per service, span name and kind, a
 * 30-minute time series in 10-second slots (by arrival time), read by the UI and the alert rules;
 * and the OpenTelemetry spanmetrics instruments on the observatory's {@code /metrics} (see {@code
 * SpanMetricsExporter}). Also the time each service last sent a span.
 *
 * <p>At most {@value #MAX_SERIES} series are kept; spans of further (service, name) pairs count
 * under the name {@value #OVERFLOW} of their service. Thread-safe: one lock, held by the writer for
 * a batch and by readers for a copy.
 */
public final class RedMetrics implements SpanListener {
  public static final int MAX_SERIES = 5_000;
  public static final String OVERFLOW = "(other)";

  private final ReentrantLock lock = new ReentrantLock();
  private final Map<String, Map<String, Window[]>> series = new HashMap<>();
  private final Map<String, Long> lastSeen = new HashMap<>();
  private final Map<String, Long> firstSeen = new HashMap<>();
  private final SpanMetricsExporter exporter;
  private int seriesCount;

  /**
   * @param meter where the spanmetrics instruments are recorded
   */
  public RedMetrics(Meter meter) {
    this.exporter = new SpanMetricsExporter(meter);
  }

  @Override
  public void onSpans(List<Span> spans, long receivedEpochMillis) {
    lock.lock();
    try {
      String lastService = null;
      Map<String, Window[]> names = null;
      for (Span span : spans) {
        String service = span.serviceName();
        if (!service.equals(lastService)) {
          lastService = service;
          names = series.computeIfAbsent(service, s -> new HashMap<>());
          lastSeen.merge(service, receivedEpochMillis, Math::max);
          firstSeen.merge(service, receivedEpochMillis, Math::min);
        }
        Window[] byKind = names.get(span.name());
        if (byKind == null) {
          if (seriesCount >= MAX_SERIES) {
            byKind = names.computeIfAbsent(OVERFLOW, n -> new Window[SpanKind.values().length]);
          } else {
            byKind = new Window[SpanKind.values().length];
            names.put(span.name(), byKind);
            seriesCount++;
          }
        }
        int kind = span.kind().ordinal();
        if (byKind[kind] == null) {
          byKind[kind] = new Window();
        }
        Window.Slot slot = byKind[kind].slot(receivedEpochMillis);
        if (slot != null) {
          Window.record(slot, span);
        }
        exporter.record(span);
      }
    } finally {
      lock.unlock();
    }
  }

  /** Services that sent spans, with the time of the latest, epoch millis. */
  public Map<String, Long> lastSeen() {
    lock.lock();
    try {
      return new TreeMap<>(lastSeen);
    } finally {
      lock.unlock();
    }
  }

  /** When the service's first span arrived (since start), epoch millis; 0 when never. */
  public long firstSeen(String service) {
    lock.lock();
    try {
      return firstSeen.getOrDefault(service, 0L);
    } finally {
      lock.unlock();
    }
  }

  /**
   * The figures of {@code service} between {@code fromMillis} and {@code toMillis} (arrival time,
   * 10-second resolution), for one operation ("" for all) and some kinds (empty for all).
   */
  public Stats stats(
      String service, String operation, Set<SpanKind> kinds, long fromMillis, long toMillis) {
    Stats stats = new Stats();
    lock.lock();
    try {
      Map<String, Window[]> names = series.get(service);
      if (names == null) {
        return stats;
      }
      long first = Math.floorDiv(fromMillis, Window.SLOT_MILLIS);
      long last = Math.floorDiv(toMillis, Window.SLOT_MILLIS);
      names.forEach(
          (name, byKind) -> {
            if (!operation.isEmpty() && !operation.equals(name)) {
              return;
            }
            for (int k = 0; k < byKind.length; k++) {
              if (byKind[k] == null
                  || (!kinds.isEmpty() && !kinds.contains(SpanKind.values()[k]))) {
                continue;
              }
              for (long i = Math.max(first, last - Window.SLOTS + 1); i <= last; i++) {
                Window.Slot slot = byKind[k].existing(i);
                if (slot != null) {
                  stats.add(slot);
                }
              }
            }
          });
      return stats;
    } finally {
      lock.unlock();
    }
  }

  /** The operations (span names) of a service with their kinds, sorted. */
  public Map<String, Set<SpanKind>> operations(String service) {
    lock.lock();
    try {
      Map<String, Set<SpanKind>> result = new TreeMap<>();
      Map<String, Window[]> names = series.get(service);
      if (names != null) {
        names.forEach(
            (name, byKind) -> {
              Set<SpanKind> kinds = java.util.EnumSet.noneOf(SpanKind.class);
              for (int k = 0; k < byKind.length; k++) {
                if (byKind[k] != null) {
                  kinds.add(SpanKind.values()[k]);
                }
              }
              result.put(name, kinds);
            });
      }
      return result;
    } finally {
      lock.unlock();
    }
  }

  /**
   * A time series of {@code service} (and {@code operation}, "" for all; {@code kinds}, empty for
   * all): one {@link Stats} per step of {@code stepMillis} (a multiple of 10 s) from {@code
   * fromMillis} to {@code toMillis}.
   */
  public List<Stats> series(
      String service,
      String operation,
      Set<SpanKind> kinds,
      long fromMillis,
      long toMillis,
      long stepMillis) {
    long step = Math.max(Window.SLOT_MILLIS, stepMillis / Window.SLOT_MILLIS * Window.SLOT_MILLIS);
    List<Stats> points = new ArrayList<>();
    for (long t = fromMillis; t < toMillis && points.size() < 2_000; t += step) {
      points.add(stats(service, operation, kinds, t, t + step - 1));
    }
    return points;
  }
}
