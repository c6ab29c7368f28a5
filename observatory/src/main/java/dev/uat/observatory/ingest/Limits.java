package dev.uat.observatory.ingest;

import dev.uat.observatory.model.AttributeNames;
import dev.uat.observatory.model.Attributes;
import dev.uat.observatory.model.Event;
import dev.uat.observatory.model.InstrumentationScope;
import dev.uat.observatory.model.Link;
import dev.uat.observatory.model.Resource;
import dev.uat.observatory.model.Span;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Length caps on what a sender names: strings longer than their cap are cut to it (in chars, never
 * inside a surrogate pair) before spans are stored, and every cut value is counted in {@code
 * uat.observatory.ingest.truncated} by {@code field}. The caps keep one span from making the
 * store's indexes (services, operations) or a search's work large; what a span holds in total is
 * bounded by the store's byte budget, which counts every string.
 *
 * <p>A batch where nothing is too long (the usual case) is returned as it is, after one pass that
 * only reads lengths. Thread-safe.
 */
final class Limits {
  /** Longest service name ({@code service.name}), in chars. */
  static final int MAX_SERVICE_NAME = 256;

  /** Longest span (operation) name, in chars. */
  static final int MAX_SPAN_NAME = 512;

  /** Longest event name, in chars. */
  static final int MAX_EVENT_NAME = 256;

  /** Longest attribute key (of spans, events, links, resources and scopes), in chars. */
  static final int MAX_KEY = 256;

  /**
   * Longest attribute string value (also inside arrays and maps) and status message, in chars: a
   * long stack trace fits.
   */
  static final int MAX_VALUE = 16 * 1024;

  /** Longest {@code tracestate} (the W3C limit), in chars. */
  static final int MAX_TRACE_STATE = 512;

  /** Longest scope name or version, in chars. */
  static final int MAX_SCOPE_NAME = 256;

  /** The {@code field} label values of the counter. */
  enum Field {
    SERVICE_NAME("service_name"),
    SPAN_NAME("span_name"),
    EVENT_NAME("event_name"),
    ATTRIBUTE_KEY("attribute_key"),
    ATTRIBUTE_VALUE("attribute_value"),
    STATUS_MESSAGE("status_message"),
    TRACE_STATE("trace_state"),
    SCOPE_NAME("scope_name");

    final io.opentelemetry.api.common.Attributes label;

    Field(String name) {
      this.label = io.opentelemetry.api.common.Attributes.of(AttributeNames.FIELD, name);
    }
  }

  private final LongCounter truncated;

  Limits(Meter meter) {
    this.truncated =
        meter
            .counterBuilder("uat.observatory.ingest.truncated")
            .setUnit("{value}")
            .setDescription("Names, keys and values cut to their length cap, by field")
            .build();
  }

  /** {@code spans} with every string within its cap; the same list when none was too long. */
  List<Span> apply(List<Span> spans) {
    int first = -1;
    for (int i = 0; i < spans.size(); i++) {
      if (tooLong(spans.get(i))) {
        first = i;
        break;
      }
    }
    if (first < 0) {
      return spans;
    }
    List<Span> out = new ArrayList<>(spans.size());
    out.addAll(spans.subList(0, first));
    Map<Object, Object> shared = new IdentityHashMap<>(); // resources and scopes, cut once
    for (int i = first; i < spans.size(); i++) {
      Span span = spans.get(i);
      out.add(tooLong(span) ? cut(span, shared) : span);
    }
    return out;
  }

  // --- checking (reads lengths only) ---

  private static boolean tooLong(Span span) {
    if (span.name().length() > MAX_SPAN_NAME
        || span.statusMessage().length() > MAX_VALUE
        || span.traceState().length() > MAX_TRACE_STATE
        || tooLong(span.attributes())
        || tooLong(span.resource())
        || tooLong(span.scope())) {
      return true;
    }
    for (Event event : span.events()) {
      if (event.name().length() > MAX_EVENT_NAME || tooLong(event.attributes())) {
        return true;
      }
    }
    for (Link link : span.links()) {
      if (link.traceState().length() > MAX_TRACE_STATE || tooLong(link.attributes())) {
        return true;
      }
    }
    return false;
  }

  private static boolean tooLong(Resource resource) {
    return resource.serviceName().length() > MAX_SERVICE_NAME || tooLong(resource.attributes());
  }

  private static boolean tooLong(InstrumentationScope scope) {
    return scope.name().length() > MAX_SCOPE_NAME
        || scope.version().length() > MAX_SCOPE_NAME
        || tooLong(scope.attributes());
  }

  private static boolean tooLong(Attributes attributes) {
    for (int i = 0, n = attributes.size(); i < n; i++) {
      if (attributes.key(i).length() > MAX_KEY || tooLong(attributes.value(i))) {
        return true;
      }
    }
    return false;
  }

  private static boolean tooLong(Object value) {
    return switch (value) {
      case String s -> s.length() > MAX_VALUE;
      case Attributes a -> tooLong(a);
      case List<?> list -> {
        for (Object element : list) {
          if (tooLong(element)) {
            yield true;
          }
        }
        yield false;
      }
      default -> false;
    };
  }

  // --- cutting ---

  private Span cut(Span span, Map<Object, Object> shared) {
    List<Event> events = span.events();
    if (!events.isEmpty()) {
      List<Event> cutEvents = new ArrayList<>(events.size());
      for (Event e : events) {
        cutEvents.add(
            new Event(
                e.epochNanos(),
                cut(e.name(), MAX_EVENT_NAME, Field.EVENT_NAME),
                cut(e.attributes()),
                e.droppedAttributesCount()));
      }
      events = cutEvents;
    }
    List<Link> links = span.links();
    if (!links.isEmpty()) {
      List<Link> cutLinks = new ArrayList<>(links.size());
      for (Link l : links) {
        cutLinks.add(
            new Link(
                l.traceIdHigh(),
                l.traceIdLow(),
                l.spanId(),
                cut(l.traceState(), MAX_TRACE_STATE, Field.TRACE_STATE),
                cut(l.attributes()),
                l.droppedAttributesCount(),
                l.flags()));
      }
      links = cutLinks;
    }
    Resource resource = (Resource) shared.computeIfAbsent(span.resource(), r -> cut((Resource) r));
    InstrumentationScope scope =
        (InstrumentationScope)
            shared.computeIfAbsent(span.scope(), s -> cut((InstrumentationScope) s));
    return new Span(
        span.traceIdHigh(),
        span.traceIdLow(),
        span.spanId(),
        span.parentSpanId(),
        cut(span.name(), MAX_SPAN_NAME, Field.SPAN_NAME),
        span.kind(),
        span.startEpochNanos(),
        span.endEpochNanos(),
        cut(span.attributes()),
        events,
        links,
        span.statusCode(),
        cut(span.statusMessage(), MAX_VALUE, Field.STATUS_MESSAGE),
        cut(span.traceState(), MAX_TRACE_STATE, Field.TRACE_STATE),
        span.flags(),
        span.droppedAttributesCount(),
        span.droppedEventsCount(),
        span.droppedLinksCount(),
        scope,
        resource);
  }

  private Resource cut(Resource resource) {
    if (!tooLong(resource)) {
      return resource;
    }
    Attributes attributes = resource.attributes();
    Attributes.Builder out = Attributes.builder();
    for (int i = 0, n = attributes.size(); i < n; i++) {
      String key = attributes.key(i);
      Object value = attributes.value(i);
      if (key.equals(Resource.SERVICE_NAME) && value instanceof String name) {
        out.put(key, cut(name, MAX_SERVICE_NAME, Field.SERVICE_NAME));
      } else {
        out.put(cut(key, MAX_KEY, Field.ATTRIBUTE_KEY), cutValue(value));
      }
    }
    return Resource.of(out.build());
  }

  private InstrumentationScope cut(InstrumentationScope scope) {
    if (!tooLong(scope)) {
      return scope;
    }
    return new InstrumentationScope(
        cut(scope.name(), MAX_SCOPE_NAME, Field.SCOPE_NAME),
        cut(scope.version(), MAX_SCOPE_NAME, Field.SCOPE_NAME),
        cut(scope.attributes()));
  }

  private Attributes cut(Attributes attributes) {
    if (!tooLong(attributes)) {
      return attributes;
    }
    Attributes.Builder out = Attributes.builder();
    for (int i = 0, n = attributes.size(); i < n; i++) {
      out.put(cut(attributes.key(i), MAX_KEY, Field.ATTRIBUTE_KEY), cutValue(attributes.value(i)));
    }
    return out.build();
  }

  private Object cutValue(Object value) {
    return switch (value) {
      case String s -> cut(s, MAX_VALUE, Field.ATTRIBUTE_VALUE);
      case Attributes a -> cut(a);
      case List<?> list -> {
        if (!tooLong(list)) {
          yield list;
        }
        List<Object> out = new ArrayList<>(list.size());
        for (Object element : list) {
          out.add(cutValue(element));
        }
        yield List.copyOf(out);
      }
      default -> value;
    };
  }

  private String cut(String s, int max, Field field) {
    if (s.length() <= max) {
      return s;
    }
    truncated.add(1, field.label);
    int end = Character.isHighSurrogate(s.charAt(max - 1)) ? max - 1 : max;
    return s.substring(0, end);
  }
}
