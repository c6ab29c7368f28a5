package dev.uat.observatory.query;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.uat.observatory.model.AttributeNames;
import dev.uat.observatory.model.Attributes;
import dev.uat.observatory.model.Bytes;
import dev.uat.observatory.model.Event;
import dev.uat.observatory.model.Ids;
import dev.uat.observatory.model.InstrumentationScope;
import dev.uat.observatory.model.Link;
import dev.uat.observatory.model.Resource;
import dev.uat.observatory.model.Span;
import dev.uat.observatory.model.StatusCode;
import dev.uat.observatory.model.Trace;
import dev.uat.web.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes model traces in the Jaeger v1 JSON shape ({@code ui.Trace} of the Jaeger query service),
 * mapping OpenTelemetry to Jaeger as the OpenTelemetry Collector's Jaeger translator does: the
 * resource becomes the process, the scope, kind and status become tags, events become logs, the
 * parent a {@code CHILD_OF} reference and links {@code FOLLOWS_FROM} references. Stateless.
 */
final class JaegerJson {
  private static final JsonFactory FACTORY = Json.MAPPER.getFactory();

  private JaegerJson() {}

  /** The response envelope of the Jaeger query API around {@code data}. */
  interface DataWriter {
    void write(JsonGenerator g) throws IOException;
  }

  static byte[] envelope(DataWriter data, int total) {
    return write(
        g -> {
          g.writeStartObject();
          g.writeFieldName("data");
          data.write(g);
          g.writeNumberField("total", total);
          g.writeNumberField("limit", 0);
          g.writeNumberField("offset", 0);
          g.writeNullField("errors");
          g.writeEndObject();
        });
  }

  static byte[] error(int code, String message) {
    return write(
        g -> {
          g.writeStartObject();
          g.writeNullField("data");
          g.writeNumberField("total", 0);
          g.writeNumberField("limit", 0);
          g.writeNumberField("offset", 0);
          g.writeArrayFieldStart("errors");
          g.writeStartObject();
          g.writeNumberField("code", code);
          g.writeStringField("msg", message);
          g.writeEndObject();
          g.writeEndArray();
          g.writeEndObject();
        });
  }

  static byte[] traces(List<Trace> traces) {
    return traces(traces, List.of());
  }

  /**
   * Traces as a search answers them; {@code missingIds} (asked for by id, not found) become entries
   * of {@code errors}, {@code {"msg","traceID"}}, as Jaeger writes them.
   */
  static byte[] traces(List<Trace> traces, List<String> missingIds) {
    return write(
        g -> {
          g.writeStartObject();
          g.writeArrayFieldStart("data");
          for (Trace trace : traces) {
            trace(g, trace);
          }
          g.writeEndArray();
          g.writeNumberField("total", 0);
          g.writeNumberField("limit", 0);
          g.writeNumberField("offset", 0);
          if (missingIds.isEmpty()) {
            g.writeNullField("errors");
          } else {
            g.writeArrayFieldStart("errors");
            for (String id : missingIds) {
              g.writeStartObject();
              g.writeStringField("msg", "trace not found");
              g.writeStringField("traceID", id);
              g.writeEndObject();
            }
            g.writeEndArray();
          }
          g.writeEndObject();
        });
  }

  /** {@code /api/operations}: {@code [{"name","spanKind"}]}. */
  static byte[] operations(List<dev.uat.observatory.store.Operation> operations) {
    return envelope(
        g -> {
          g.writeStartArray();
          for (dev.uat.observatory.store.Operation operation : operations) {
            g.writeStartObject();
            g.writeStringField("name", operation.name());
            String kind = dev.uat.observatory.store.SpanMatcher.kindTag(operation.kind());
            g.writeStringField("spanKind", kind == null ? "" : kind);
            g.writeEndObject();
          }
          g.writeEndArray();
        },
        operations.size());
  }

  /** {@code /api/dependencies}: {@code [{"parent","child","callCount"}]}, total 0 as Jaeger. */
  static byte[] dependencies(List<dev.uat.observatory.store.DependencyLink> links) {
    return envelope(
        g -> {
          g.writeStartArray();
          for (dev.uat.observatory.store.DependencyLink link : links) {
            g.writeStartObject();
            g.writeStringField("parent", link.parent());
            g.writeStringField("child", link.child());
            g.writeNumberField("callCount", link.callCount());
            g.writeEndObject();
          }
          g.writeEndArray();
        },
        0);
  }

  static byte[] strings(List<String> values) {
    return envelope(
        g -> {
          g.writeStartArray();
          for (String value : values) {
            g.writeString(value);
          }
          g.writeEndArray();
        },
        values.size());
  }

  private static byte[] write(DataWriter writer) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      writer.write(g);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // not expected when writing to memory
    }
    return out.toByteArray();
  }

  /**
   * Jaeger's trace id form: 16 hex characters when the high half is zero (a 64-bit id), else 32.
   */
  static String traceId(long high, long low) {
    return high == 0 ? Ids.hex(low) : Ids.hex(high, low);
  }

  static void trace(JsonGenerator g, Trace trace) throws IOException {
    Map<Resource, String> processes = new HashMap<>();
    g.writeStartObject();
    g.writeStringField("traceID", traceId(trace.traceId().high(), trace.traceId().low()));
    g.writeArrayFieldStart("spans");
    for (Span span : trace.spans()) {
      String processId =
          processes.computeIfAbsent(span.resource(), r -> "p" + (processes.size() + 1));
      span(g, span, processId);
    }
    g.writeEndArray();
    g.writeObjectFieldStart("processes");
    for (Map.Entry<Resource, String> process : sortedByProcessId(processes)) {
      g.writeObjectFieldStart(process.getValue());
      g.writeStringField("serviceName", process.getKey().serviceName());
      g.writeArrayFieldStart("tags");
      Attributes attributes = process.getKey().attributes();
      for (int i = 0; i < attributes.size(); i++) {
        if (!attributes.key(i).equals(Resource.SERVICE_NAME)) {
          tag(g, attributes.key(i), attributes.value(i));
        }
      }
      g.writeEndArray();
      g.writeEndObject();
    }
    g.writeEndObject();
    g.writeNullField("warnings");
    g.writeEndObject();
  }

  private static List<Map.Entry<Resource, String>> sortedByProcessId(Map<Resource, String> map) {
    return map.entrySet().stream()
        .sorted((a, b) -> Integer.compare(number(a.getValue()), number(b.getValue())))
        .toList();
  }

  private static int number(String processId) {
    return Integer.parseInt(processId, 1, processId.length(), 10);
  }

  static void span(JsonGenerator g, Span span, String processId) throws IOException {
    String traceId = traceId(span.traceIdHigh(), span.traceIdLow());
    g.writeStartObject();
    g.writeStringField("traceID", traceId);
    g.writeStringField("spanID", Ids.hex(span.spanId()));
    // the sampled bit only: Jaeger reads bit 2 as "debug", W3C level 2 as "random trace id"
    g.writeNumberField("flags", span.flags() & 0x01);
    g.writeStringField("operationName", span.name());
    references(g, span, traceId);
    g.writeNumberField("startTime", span.startEpochNanos() / 1000);
    g.writeNumberField("duration", span.durationNanos() / 1000);
    tags(g, span);
    g.writeArrayFieldStart("logs");
    for (Event event : span.events()) {
      log(g, event);
    }
    g.writeEndArray();
    g.writeStringField("processID", processId);
    g.writeNullField("warnings");
    g.writeEndObject();
  }

  /** The parent first (CHILD_OF), then links (FOLLOWS_FROM), a link to the parent merged in. */
  private static void references(JsonGenerator g, Span span, String traceId) throws IOException {
    g.writeArrayFieldStart("references");
    if (!span.isRoot()) {
      reference(g, "CHILD_OF", traceId, span.parentSpanId());
    }
    for (Link link : span.links()) {
      boolean toParent =
          !span.isRoot()
              && link.spanId() == span.parentSpanId()
              && link.traceIdHigh() == span.traceIdHigh()
              && link.traceIdLow() == span.traceIdLow();
      if (!toParent) {
        reference(g, "FOLLOWS_FROM", traceId(link.traceIdHigh(), link.traceIdLow()), link.spanId());
      }
    }
    g.writeEndArray();
  }

  private static void reference(JsonGenerator g, String type, String traceId, long spanId)
      throws IOException {
    g.writeStartObject();
    g.writeStringField("refType", type);
    g.writeStringField("traceID", traceId);
    g.writeStringField("spanID", Ids.hex(spanId));
    g.writeEndObject();
  }

  /** Scope, attributes, kind, status, trace state: the Collector's order. */
  private static void tags(JsonGenerator g, Span span) throws IOException {
    g.writeArrayFieldStart("tags");
    InstrumentationScope scope = span.scope();
    if (!scope.name().isEmpty()) {
      stringTag(g, AttributeNames.OTEL_SCOPE_NAME, scope.name());
    }
    if (!scope.version().isEmpty()) {
      stringTag(g, AttributeNames.OTEL_SCOPE_VERSION, scope.version());
    }
    Attributes attributes = span.attributes();
    for (int i = 0; i < attributes.size(); i++) {
      tag(g, attributes.key(i), attributes.value(i));
    }
    String kind =
        switch (span.kind()) {
          case INTERNAL -> "internal";
          case SERVER -> "server";
          case CLIENT -> "client";
          case PRODUCER -> "producer";
          case CONSUMER -> "consumer";
          case UNSPECIFIED -> null;
        };
    if (kind != null) {
      stringTag(g, AttributeNames.SPAN_KIND, kind);
    }
    if (span.statusCode() != StatusCode.UNSET) {
      stringTag(g, AttributeNames.OTEL_STATUS_CODE, span.statusCode().name());
    }
    if (span.statusCode() == StatusCode.ERROR) {
      tag(g, AttributeNames.ERROR, Boolean.TRUE);
    }
    if (!span.statusMessage().isEmpty()) {
      stringTag(g, AttributeNames.OTEL_STATUS_DESCRIPTION, span.statusMessage());
    }
    if (!span.traceState().isEmpty()) {
      stringTag(g, AttributeNames.W3C_TRACESTATE, span.traceState());
    }
    g.writeEndArray();
  }

  /** An event as a log: its name as the {@code event} field, unless an attribute has that key. */
  private static void log(JsonGenerator g, Event event) throws IOException {
    g.writeStartObject();
    g.writeNumberField("timestamp", event.epochNanos() / 1000);
    g.writeArrayFieldStart("fields");
    Attributes attributes = event.attributes();
    if (!event.name().isEmpty() && attributes.get("event").isEmpty()) {
      stringTag(g, "event", event.name());
    }
    for (int i = 0; i < attributes.size(); i++) {
      tag(g, attributes.key(i), attributes.value(i));
    }
    g.writeEndArray();
    g.writeEndObject();
  }

  private static void stringTag(JsonGenerator g, String key, String value) throws IOException {
    g.writeStartObject();
    g.writeStringField("key", key);
    g.writeStringField("type", "string");
    g.writeStringField("value", value);
    g.writeEndObject();
  }

  /** A tag of type string, bool, int64, float64 or binary; arrays and maps as JSON strings. */
  private static void tag(JsonGenerator g, String key, Object value) throws IOException {
    g.writeStartObject();
    g.writeStringField("key", key);
    switch (value) {
      case String s -> {
        g.writeStringField("type", "string");
        g.writeStringField("value", s);
      }
      case Boolean b -> {
        g.writeStringField("type", "bool");
        g.writeBooleanField("value", b);
      }
      case Long l -> {
        g.writeStringField("type", "int64");
        g.writeNumberField("value", l);
      }
      case Double d -> {
        g.writeStringField("type", "float64");
        g.writeNumberField("value", d);
      }
      case Bytes b -> {
        g.writeStringField("type", "binary");
        g.writeStringField("value", b.toBase64());
      }
      default -> {
        g.writeStringField("type", "string");
        g.writeStringField("value", asJson(value));
      }
    }
    g.writeEndObject();
  }

  /** An array or key-value list attribute as JSON text, as the Collector renders them. */
  static String asJson(Object value) {
    StringWriter out = new StringWriter();
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      jsonValue(g, value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  private static void jsonValue(JsonGenerator g, Object value) throws IOException {
    switch (value) {
      case String s -> g.writeString(s);
      case Boolean b -> g.writeBoolean(b);
      case Long l -> g.writeNumber(l);
      case Double d -> g.writeNumber(d);
      case Bytes b -> g.writeString(b.toBase64());
      case Attributes attributes -> {
        g.writeStartObject();
        for (int i = 0; i < attributes.size(); i++) {
          g.writeFieldName(attributes.key(i));
          jsonValue(g, attributes.value(i));
        }
        g.writeEndObject();
      }
      case List<?> list -> {
        g.writeStartArray();
        for (Object element : list) {
          jsonValue(g, element);
        }
        g.writeEndArray();
      }
      default -> g.writeString(String.valueOf(value));
    }
  }
}
