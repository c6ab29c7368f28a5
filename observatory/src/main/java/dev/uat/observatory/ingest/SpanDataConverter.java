package dev.uat.observatory.ingest;

import dev.uat.observatory.model.Attributes;
import dev.uat.observatory.model.Bytes;
import dev.uat.observatory.model.Event;
import dev.uat.observatory.model.Ids;
import dev.uat.observatory.model.InstrumentationScope;
import dev.uat.observatory.model.Link;
import dev.uat.observatory.model.Resource;
import dev.uat.observatory.model.Span;
import dev.uat.observatory.model.SpanKind;
import dev.uat.observatory.model.StatusCode;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.KeyValue;
import io.opentelemetry.api.common.Value;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Turns the SDK's finished spans ({@link SpanData}) into the observatory's {@link Span}s, keeping
 * what the OTLP path keeps: ids, parent, name, kind, times, attributes (every type, arrays and the
 * SDK's complex {@link Value}s included), events, links, status, {@code tracestate}, the OTLP span
 * flags (trace flags plus the "parent is remote" bits the SDK's OTLP marshaller writes), dropped
 * counts, scope and resource.
 *
 * <p>Strings are not copied: the keys and values are the SDK's own instances. The converted
 * resource and scopes are cached by the SDK's instances (one resource per SDK, a few scopes), so a
 * batch's spans share them as they do after the OTLP decoder. The objects made are charged to a
 * {@link HeapCharge} as they are made, with the decoders' estimates. Thread-safe.
 */
final class SpanDataConverter {
  /** Cached resources and scopes; cleared when a sender has more than this (it never does). */
  private static final int MAX_CACHED = 64;

  private final Map<io.opentelemetry.sdk.resources.Resource, Resource> resources =
      new ConcurrentHashMap<>();
  private final Map<InstrumentationScopeInfo, InstrumentationScope> scopes =
      new ConcurrentHashMap<>();

  /** What a batch made: the spans, and how many of the SDK's were rejected (invalid ids). */
  record Converted(List<Span> spans, int rejected) {}

  Converted convert(Collection<SpanData> batch, HeapCharge charge) {
    List<Span> spans = new ArrayList<>(batch.size());
    int rejected = 0;
    for (SpanData data : batch) {
      SpanContext context = data.getSpanContext();
      if (!context.isValid()) {
        rejected++;
        continue;
      }
      spans.add(span(data, context, charge));
    }
    return new Converted(spans, rejected);
  }

  private Span span(SpanData data, SpanContext context, HeapCharge charge) {
    String traceId = context.getTraceId();
    SpanContext parent = data.getParentSpanContext();
    Attributes attributes = attributes(data.getAttributes(), charge);
    charge.add(HeapCharge.SPAN + (attributes.isEmpty() ? 0 : HeapCharge.OBJECT));
    charge.string(data.getName().length());
    List<EventData> eventData = data.getEvents();
    List<LinkData> linkData = data.getLinks();
    String statusMessage = data.getStatus().getDescription();
    charge.string(statusMessage.length());
    return Span.builder()
        .traceId(Ids.parseHex(traceId, 0, 16), Ids.parseHex(traceId, 16, 32))
        .spanId(Ids.parseHex(context.getSpanId(), 0, 16))
        .parentSpanId(parent.isValid() ? Ids.parseHex(parent.getSpanId(), 0, 16) : 0)
        .name(data.getName())
        .kind(kind(data.getKind()))
        .startEpochNanos(data.getStartEpochNanos())
        .endEpochNanos(data.getEndEpochNanos())
        .attributes(attributes)
        .events(events(eventData, charge))
        .links(links(linkData, charge))
        .status(status(data.getStatus().getStatusCode()), statusMessage)
        .traceState(traceState(context.getTraceState(), charge))
        .flags(flags(context, parent.isRemote()))
        .droppedCounts(
            Math.max(0, data.getTotalAttributeCount() - data.getAttributes().size()),
            Math.max(0, data.getTotalRecordedEvents() - eventData.size()),
            Math.max(0, data.getTotalRecordedLinks() - linkData.size()))
        .scope(scope(data.getInstrumentationScopeInfo(), charge))
        .resource(resource(data.getResource(), charge))
        .build();
  }

  /**
   * The OTLP span flags as the SDK's marshaller writes them: the W3C trace flags in the low byte,
   * bit 8 "has is-remote", bit 9 "is remote".
   */
  static int flags(SpanContext context, boolean remote) {
    return (context.getTraceFlags().asByte() & 0xff) | 0x100 | (remote ? 0x200 : 0);
  }

  private static SpanKind kind(io.opentelemetry.api.trace.SpanKind kind) {
    return switch (kind) {
      case INTERNAL -> SpanKind.INTERNAL;
      case SERVER -> SpanKind.SERVER;
      case CLIENT -> SpanKind.CLIENT;
      case PRODUCER -> SpanKind.PRODUCER;
      case CONSUMER -> SpanKind.CONSUMER;
    };
  }

  private static StatusCode status(io.opentelemetry.api.trace.StatusCode code) {
    return switch (code) {
      case UNSET -> StatusCode.UNSET;
      case OK -> StatusCode.OK;
      case ERROR -> StatusCode.ERROR;
    };
  }

  /** The W3C {@code tracestate} header value, as the OTLP marshaller writes it. */
  private static String traceState(TraceState state, HeapCharge charge) {
    if (state.isEmpty()) {
      return "";
    }
    StringBuilder text = new StringBuilder();
    state.forEach(
        (key, value) -> {
          if (!text.isEmpty()) {
            text.append(',');
          }
          text.append(key).append('=').append(value);
        });
    charge.string(text.length());
    return text.toString();
  }

  private static List<Event> events(List<EventData> events, HeapCharge charge) {
    if (events.isEmpty()) {
      return List.of();
    }
    List<Event> out = new ArrayList<>(events.size());
    for (EventData event : events) {
      Attributes attributes = attributes(event.getAttributes(), charge);
      charge.add(HeapCharge.EVENT + (attributes.isEmpty() ? 0 : HeapCharge.OBJECT));
      charge.string(event.getName().length());
      out.add(
          new Event(
              event.getEpochNanos(),
              event.getName(),
              attributes,
              Math.max(0, event.getTotalAttributeCount() - event.getAttributes().size())));
    }
    return out;
  }

  private static List<Link> links(List<LinkData> links, HeapCharge charge) {
    if (links.isEmpty()) {
      return List.of();
    }
    List<Link> out = new ArrayList<>(links.size());
    for (LinkData link : links) {
      SpanContext context = link.getSpanContext();
      if (!context.isValid()) {
        continue; // the OTLP decoders keep no link without ids either
      }
      Attributes attributes = attributes(link.getAttributes(), charge);
      charge.add(HeapCharge.LINK + (attributes.isEmpty() ? 0 : HeapCharge.OBJECT));
      String traceId = context.getTraceId();
      out.add(
          new Link(
              Ids.parseHex(traceId, 0, 16),
              Ids.parseHex(traceId, 16, 32),
              Ids.parseHex(context.getSpanId(), 0, 16),
              traceState(context.getTraceState(), charge),
              attributes,
              Math.max(0, link.getTotalAttributeCount() - link.getAttributes().size()),
              flags(context, context.isRemote())));
    }
    return out;
  }

  private Resource resource(io.opentelemetry.sdk.resources.Resource sdk, HeapCharge charge) {
    Resource cached = resources.get(sdk);
    if (cached != null) {
      return cached;
    }
    if (resources.size() >= MAX_CACHED) {
      resources.clear();
    }
    Resource made = Resource.of(attributes(sdk.getAttributes(), charge));
    charge.add(HeapCharge.OBJECT * 2);
    resources.put(sdk, made);
    return made;
  }

  private InstrumentationScope scope(InstrumentationScopeInfo sdk, HeapCharge charge) {
    InstrumentationScope cached = scopes.get(sdk);
    if (cached != null) {
      return cached;
    }
    if (scopes.size() >= MAX_CACHED) {
      scopes.clear();
    }
    String version = sdk.getVersion() == null ? "" : sdk.getVersion();
    charge.string(sdk.getName().length());
    charge.string(version.length());
    charge.add(HeapCharge.OBJECT * 2);
    InstrumentationScope made =
        new InstrumentationScope(sdk.getName(), version, attributes(sdk.getAttributes(), charge));
    scopes.put(sdk, made);
    return made;
  }

  static Attributes attributes(io.opentelemetry.api.common.Attributes sdk, HeapCharge charge) {
    if (sdk.isEmpty()) {
      return Attributes.empty();
    }
    Attributes.Builder out = Attributes.builder();
    sdk.forEach(
        (key, value) -> {
          charge.add(HeapCharge.ATTRIBUTE);
          charge.string(key.getKey().length());
          out.put(key.getKey(), value(key, value, charge));
        });
    return out.build();
  }

  private static Object value(AttributeKey<?> key, Object value, HeapCharge charge) {
    return switch (key.getType()) {
      case STRING -> string((String) value, charge);
      case BOOLEAN -> value;
      case LONG, DOUBLE -> {
        charge.add(HeapCharge.VALUE);
        yield value;
      }
      case STRING_ARRAY, BOOLEAN_ARRAY, LONG_ARRAY, DOUBLE_ARRAY -> {
        List<?> list = (List<?>) value;
        charge.add(HeapCharge.OBJECT + HeapCharge.VALUE * list.size());
        for (Object element : list) {
          if (element instanceof String s) {
            charge.string(s.length());
          }
        }
        yield List.copyOf(list);
      }
      case VALUE -> value((Value<?>) value, charge);
    };
  }

  private static String string(String value, HeapCharge charge) {
    charge.string(value.length());
    return value;
  }

  /** A complex attribute value, as the OTLP marshaller would write it as an {@code AnyValue}. */
  private static Object value(Value<?> value, HeapCharge charge) {
    return switch (value.getType()) {
      case STRING -> string((String) value.getValue(), charge);
      case BOOLEAN -> value.getValue();
      case LONG, DOUBLE -> {
        charge.add(HeapCharge.VALUE);
        yield value.getValue();
      }
      case ARRAY -> {
        List<?> elements = (List<?>) value.getValue();
        charge.add(HeapCharge.OBJECT);
        List<Object> list = new ArrayList<>(elements.size());
        for (Object element : elements) {
          charge.add(HeapCharge.VALUE);
          list.add(value((Value<?>) element, charge));
        }
        yield List.copyOf(list);
      }
      case KEY_VALUE_LIST -> {
        List<?> entries = (List<?>) value.getValue();
        charge.add(HeapCharge.OBJECT);
        Attributes.Builder map = Attributes.builder();
        for (Object entry : entries) {
          KeyValue kv = (KeyValue) entry;
          charge.add(HeapCharge.ATTRIBUTE);
          charge.string(kv.getKey().length());
          map.put(kv.getKey(), value(kv.getValue(), charge));
        }
        yield map.build();
      }
      case BYTES -> {
        ByteBuffer buffer = (ByteBuffer) value.getValue();
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        charge.add(HeapCharge.OBJECT + bytes.length);
        yield Bytes.of(bytes);
      }
      case EMPTY -> ""; // what the OTLP decoder makes of an AnyValue with no value set
    };
  }
}
