package dev.uat.observatory.query;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.uat.observatory.model.Attributes;
import dev.uat.observatory.model.Bytes;
import dev.uat.observatory.model.Event;
import dev.uat.observatory.model.Ids;
import dev.uat.observatory.model.InstrumentationScope;
import dev.uat.observatory.model.Link;
import dev.uat.observatory.model.Resource;
import dev.uat.observatory.model.Span;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes model spans as OTLP/JSON {@code TracesData} (the form of the Jaeger api_v3 answers): spans
 * grouped under their resource and scope, ids in hex, 64-bit integers as strings, enums as
 * integers, fields at their default value left out. Stateless.
 */
final class OtlpJson {
  private OtlpJson() {}

  /** {@code {"resourceSpans":[...]}} of {@code spans}, grouped in order of first appearance. */
  static void tracesData(JsonGenerator g, List<Span> spans) throws IOException {
    Map<Resource, Map<InstrumentationScope, List<Span>>> grouped = new LinkedHashMap<>();
    for (Span span : spans) {
      grouped
          .computeIfAbsent(span.resource(), r -> new LinkedHashMap<>())
          .computeIfAbsent(span.scope(), s -> new ArrayList<>())
          .add(span);
    }
    g.writeStartObject();
    g.writeArrayFieldStart("resourceSpans");
    for (Map.Entry<Resource, Map<InstrumentationScope, List<Span>>> resource : grouped.entrySet()) {
      g.writeStartObject();
      g.writeObjectFieldStart("resource");
      attributes(g, resource.getKey().attributes());
      g.writeEndObject();
      g.writeArrayFieldStart("scopeSpans");
      for (Map.Entry<InstrumentationScope, List<Span>> scope : resource.getValue().entrySet()) {
        g.writeStartObject();
        g.writeObjectFieldStart("scope");
        InstrumentationScope s = scope.getKey();
        if (!s.name().isEmpty()) {
          g.writeStringField("name", s.name());
        }
        if (!s.version().isEmpty()) {
          g.writeStringField("version", s.version());
        }
        attributes(g, s.attributes());
        g.writeEndObject();
        g.writeArrayFieldStart("spans");
        for (Span span : scope.getValue()) {
          span(g, span);
        }
        g.writeEndArray();
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeEndObject();
    }
    g.writeEndArray();
    g.writeEndObject();
  }

  static void span(JsonGenerator g, Span span) throws IOException {
    g.writeStartObject();
    g.writeStringField("traceId", Ids.hex(span.traceIdHigh(), span.traceIdLow()));
    g.writeStringField("spanId", Ids.hex(span.spanId()));
    if (!span.traceState().isEmpty()) {
      g.writeStringField("traceState", span.traceState());
    }
    if (!span.isRoot()) {
      g.writeStringField("parentSpanId", Ids.hex(span.parentSpanId()));
    }
    if (span.flags() != 0) {
      g.writeNumberField("flags", span.flags());
    }
    g.writeStringField("name", span.name());
    if (span.kind().ordinal() != 0) {
      g.writeNumberField("kind", span.kind().ordinal());
    }
    g.writeStringField("startTimeUnixNano", Long.toUnsignedString(span.startEpochNanos()));
    g.writeStringField("endTimeUnixNano", Long.toUnsignedString(span.endEpochNanos()));
    attributes(g, span.attributes());
    if (span.droppedAttributesCount() != 0) {
      g.writeNumberField("droppedAttributesCount", span.droppedAttributesCount());
    }
    if (!span.events().isEmpty()) {
      g.writeArrayFieldStart("events");
      for (Event event : span.events()) {
        g.writeStartObject();
        g.writeStringField("timeUnixNano", Long.toUnsignedString(event.epochNanos()));
        g.writeStringField("name", event.name());
        attributes(g, event.attributes());
        if (event.droppedAttributesCount() != 0) {
          g.writeNumberField("droppedAttributesCount", event.droppedAttributesCount());
        }
        g.writeEndObject();
      }
      g.writeEndArray();
    }
    if (span.droppedEventsCount() != 0) {
      g.writeNumberField("droppedEventsCount", span.droppedEventsCount());
    }
    if (!span.links().isEmpty()) {
      g.writeArrayFieldStart("links");
      for (Link link : span.links()) {
        g.writeStartObject();
        g.writeStringField("traceId", Ids.hex(link.traceIdHigh(), link.traceIdLow()));
        g.writeStringField("spanId", Ids.hex(link.spanId()));
        if (!link.traceState().isEmpty()) {
          g.writeStringField("traceState", link.traceState());
        }
        attributes(g, link.attributes());
        if (link.droppedAttributesCount() != 0) {
          g.writeNumberField("droppedAttributesCount", link.droppedAttributesCount());
        }
        if (link.flags() != 0) {
          g.writeNumberField("flags", link.flags());
        }
        g.writeEndObject();
      }
      g.writeEndArray();
    }
    if (span.droppedLinksCount() != 0) {
      g.writeNumberField("droppedLinksCount", span.droppedLinksCount());
    }
    g.writeObjectFieldStart("status");
    if (!span.statusMessage().isEmpty()) {
      g.writeStringField("message", span.statusMessage());
    }
    if (span.statusCode().ordinal() != 0) {
      g.writeNumberField("code", span.statusCode().ordinal());
    }
    g.writeEndObject();
    g.writeEndObject();
  }

  /** {@code "attributes":[{"key","value":{...}}]}, left out when there are none. */
  static void attributes(JsonGenerator g, Attributes attributes) throws IOException {
    if (attributes.isEmpty()) {
      return;
    }
    g.writeArrayFieldStart("attributes");
    keyValues(g, attributes);
    g.writeEndArray();
  }

  private static void keyValues(JsonGenerator g, Attributes attributes) throws IOException {
    for (int i = 0; i < attributes.size(); i++) {
      g.writeStartObject();
      g.writeStringField("key", attributes.key(i));
      g.writeFieldName("value");
      anyValue(g, attributes.value(i));
      g.writeEndObject();
    }
  }

  static void anyValue(JsonGenerator g, Object value) throws IOException {
    g.writeStartObject();
    switch (value) {
      case String s -> g.writeStringField("stringValue", s);
      case Boolean b -> g.writeBooleanField("boolValue", b);
      case Long l -> g.writeStringField("intValue", l.toString());
      case Double d -> g.writeNumberField("doubleValue", d);
      case Bytes b -> g.writeStringField("bytesValue", b.toBase64());
      case Attributes a -> {
        g.writeObjectFieldStart("kvlistValue");
        g.writeArrayFieldStart("values");
        keyValues(g, a);
        g.writeEndArray();
        g.writeEndObject();
      }
      case List<?> list -> {
        g.writeObjectFieldStart("arrayValue");
        g.writeArrayFieldStart("values");
        for (Object element : list) {
          anyValue(g, element);
        }
        g.writeEndArray();
        g.writeEndObject();
      }
      default -> g.writeStringField("stringValue", String.valueOf(value));
    }
    g.writeEndObject();
  }
}
