package dev.uat.observatory.store;

import dev.uat.observatory.model.AttributeNames;
import dev.uat.observatory.model.AttributeText;
import dev.uat.observatory.model.Attributes;
import dev.uat.observatory.model.Event;
import dev.uat.observatory.model.Span;
import dev.uat.observatory.model.SpanKind;
import dev.uat.observatory.model.StatusCode;
import java.util.Locale;
import java.util.Map;

/**
 * Decides whether one span satisfies a {@link TraceQuery}, with Jaeger's tag semantics: a tag may
 * be a span attribute, a tag the Jaeger mapping derives ({@code error}, {@code span.kind}, {@code
 * otel.status_code}, {@code otel.status_description}, {@code otel.scope.name}, {@code
 * otel.scope.version}, {@code w3c.tracestate}), a resource attribute, or an event attribute ({@code
 * event} being the event's name). Stateless.
 */
public final class SpanMatcher {
  private SpanMatcher() {}

  public static boolean matches(Span span, TraceQuery query) {
    if (!query.service().isEmpty() && !query.service().equals(span.serviceName())) {
      return false;
    }
    if (!query.operation().isEmpty() && !query.operation().equals(span.name())) {
      return false;
    }
    long duration = span.durationNanos();
    if (duration < query.minDurationNanos()
        || (query.maxDurationNanos() != 0 && duration > query.maxDurationNanos())) {
      return false;
    }
    long start = span.startEpochNanos();
    if ((query.startMinNanos() != 0 && start < query.startMinNanos())
        || (query.startMaxNanos() != 0 && start > query.startMaxNanos())) {
      return false;
    }
    for (Map.Entry<String, String> tag : query.tags().entrySet()) {
      if (!hasTag(span, tag.getKey(), tag.getValue())) {
        return false;
      }
    }
    return true;
  }

  static boolean hasTag(Span span, String key, String value) {
    if (has(span.attributes(), key, value)) {
      return true;
    }
    String derived =
        switch (key) {
          case AttributeNames.ERROR -> span.statusCode() == StatusCode.ERROR ? "true" : null;
          case AttributeNames.SPAN_KIND -> kindTag(span.kind());
          case AttributeNames.OTEL_STATUS_CODE ->
              span.statusCode() == StatusCode.UNSET ? null : span.statusCode().name();
          case AttributeNames.OTEL_STATUS_DESCRIPTION -> emptyAsNull(span.statusMessage());
          case AttributeNames.OTEL_SCOPE_NAME -> emptyAsNull(span.scope().name());
          case AttributeNames.OTEL_SCOPE_VERSION -> emptyAsNull(span.scope().version());
          case AttributeNames.W3C_TRACESTATE -> emptyAsNull(span.traceState());
          default -> null;
        };
    if (value.equals(derived)) {
      return true;
    }
    if (has(span.resource().attributes(), key, value)) {
      return true;
    }
    for (Event event : span.events()) {
      if (key.equals("event") && value.equals(event.name())) {
        return true;
      }
      if (has(event.attributes(), key, value)) {
        return true;
      }
    }
    return false;
  }

  /** The Jaeger {@code span.kind} tag value; null for an unspecified kind. */
  public static String kindTag(SpanKind kind) {
    return KIND_TAGS[kind.ordinal()];
  }

  /** {@link #kindTag} by ordinal, made once: the Bloom filter asks for it for every stored span. */
  private static final String[] KIND_TAGS = kindTags();

  private static String[] kindTags() {
    String[] tags = new String[SpanKind.values().length];
    for (SpanKind kind : SpanKind.values()) {
      tags[kind.ordinal()] =
          kind == SpanKind.UNSPECIFIED ? null : kind.name().toLowerCase(Locale.ROOT);
    }
    return tags;
  }

  private static String emptyAsNull(String s) {
    return s.isEmpty() ? null : s;
  }

  private static boolean has(Attributes attributes, String key, String value) {
    for (int i = 0; i < attributes.size(); i++) {
      if (attributes.key(i).equals(key) && AttributeText.matches(attributes.value(i), value)) {
        return true;
      }
    }
    return false;
  }
}
