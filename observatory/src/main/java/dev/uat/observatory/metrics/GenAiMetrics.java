package dev.uat.observatory.metrics;

import dev.uat.observatory.ingest.SpanListener;
import dev.uat.observatory.model.AttributeNames;
import dev.uat.observatory.model.Attributes;
import dev.uat.observatory.model.Span;
import dev.uat.observatory.model.SpanKind;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * GenAI statistics per provider, model and operation, from spans that carry {@code
 * gen_ai.operation.name} (the OpenTelemetry GenAI conventions; SERVER spans are left out so that a
 * call seen by both client and server counts once): requests, errors, latency, input and output
 * tokens ({@code gen_ai.usage.input_tokens}, {@code gen_ai.usage.output_tokens}) and the time to
 * first token ({@code gen_ai.response.time_to_first_chunk}, seconds). The provider is {@code
 * gen_ai.provider.name} (or the older {@code gen_ai.system}); the model {@code
 * gen_ai.response.model}, else {@code gen_ai.request.model}.
 *
 * <p>Kept as a 30-minute series of 10-second slots per key, at most {@value #MAX_KEYS} keys.
 * Thread-safe.
 */
public final class GenAiMetrics implements SpanListener {
  public static final int MAX_KEYS = 1_000;

  /** Provider, model and operation of GenAI spans. */
  public record Key(String provider, String model, String operation) {}

  private final ReentrantLock lock = new ReentrantLock();
  private final Map<Key, Window> series = new LinkedHashMap<>();

  @Override
  public void onSpans(List<Span> spans, long receivedEpochMillis) {
    lock.lock();
    try {
      for (Span span : spans) {
        if (span.kind() == SpanKind.SERVER) {
          continue;
        }
        Attributes a = span.attributes();
        String operation = string(a, AttributeNames.GEN_AI_OPERATION_NAME);
        if (operation == null) {
          continue;
        }
        String provider = string(a, AttributeNames.GEN_AI_PROVIDER_NAME);
        if (provider == null) {
          provider = string(a, AttributeNames.GEN_AI_SYSTEM);
        }
        String model = string(a, AttributeNames.GEN_AI_RESPONSE_MODEL);
        if (model == null) {
          model = string(a, AttributeNames.GEN_AI_REQUEST_MODEL);
        }
        Key key =
            new Key(
                provider == null ? "unknown" : provider,
                model == null ? "unknown" : model,
                operation);
        Window window = series.get(key);
        if (window == null) {
          if (series.size() >= MAX_KEYS) {
            continue;
          }
          window = new Window();
          series.put(key, window);
        }
        Window.Slot slot = window.slot(receivedEpochMillis);
        if (slot == null) {
          continue;
        }
        Window.record(slot, span);
        slot.inputTokens += number(a, AttributeNames.GEN_AI_USAGE_INPUT_TOKENS);
        slot.outputTokens += number(a, AttributeNames.GEN_AI_USAGE_OUTPUT_TOKENS);
        Object ttft = a.get(AttributeNames.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK).orElse(null);
        if (ttft instanceof Number seconds) {
          if (slot.ttftHistogram == null) {
            slot.ttftHistogram = new long[Buckets.COUNT];
          }
          slot.ttftHistogram[Buckets.index((long) (seconds.doubleValue() * 1_000_000))]++;
          slot.ttftCount++;
        }
      }
    } finally {
      lock.unlock();
    }
  }

  private static String string(Attributes attributes, String key) {
    return attributes.getString(key).filter(s -> !s.isEmpty()).orElse(null);
  }

  private static long number(Attributes attributes, String key) {
    return attributes.get(key).orElse(null) instanceof Number n ? n.longValue() : 0;
  }

  /** Every key's figures between the two times (arrival, 10-second resolution). */
  public Map<Key, Stats> stats(long fromMillis, long toMillis) {
    lock.lock();
    try {
      Map<Key, Stats> result = new LinkedHashMap<>();
      series.forEach((key, window) -> result.put(key, window(window, fromMillis, toMillis)));
      return result;
    } finally {
      lock.unlock();
    }
  }

  /** One key's figures per step of {@code stepMillis} between the two times. */
  public List<Stats> series(Key key, long fromMillis, long toMillis, long stepMillis) {
    long step = Math.max(Window.SLOT_MILLIS, stepMillis / Window.SLOT_MILLIS * Window.SLOT_MILLIS);
    lock.lock();
    try {
      List<Stats> points = new ArrayList<>();
      Window window = series.get(key);
      for (long t = fromMillis; t < toMillis && points.size() < 2_000; t += step) {
        points.add(window == null ? new Stats() : window(window, t, t + step - 1));
      }
      return points;
    } finally {
      lock.unlock();
    }
  }

  private static Stats window(Window window, long fromMillis, long toMillis) {
    Stats stats = new Stats();
    long first = Math.floorDiv(fromMillis, Window.SLOT_MILLIS);
    long last = Math.floorDiv(toMillis, Window.SLOT_MILLIS);
    for (long i = Math.max(first, last - Window.SLOTS + 1); i <= last; i++) {
      Window.Slot slot = window.existing(i);
      if (slot != null) {
        stats.add(slot);
      }
    }
    return stats;
  }
}
