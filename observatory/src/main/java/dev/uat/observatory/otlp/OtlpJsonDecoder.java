package dev.uat.observatory.otlp;

import static dev.uat.observatory.otlp.OtlpJsonValues.abbreviate;
import static dev.uat.observatory.otlp.OtlpJsonValues.array;
import static dev.uat.observatory.otlp.OtlpJsonValues.bool;
import static dev.uat.observatory.otlp.OtlpJsonValues.bytes;
import static dev.uat.observatory.otlp.OtlpJsonValues.doubleValue;
import static dev.uat.observatory.otlp.OtlpJsonValues.kind;
import static dev.uat.observatory.otlp.OtlpJsonValues.longValue;
import static dev.uat.observatory.otlp.OtlpJsonValues.object;
import static dev.uat.observatory.otlp.OtlpJsonValues.spanId;
import static dev.uat.observatory.otlp.OtlpJsonValues.statusCode;
import static dev.uat.observatory.otlp.OtlpJsonValues.string;
import static dev.uat.observatory.otlp.OtlpJsonValues.traceId;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import dev.uat.observatory.ingest.ChargedJson;
import dev.uat.observatory.ingest.HeapCharge;
import dev.uat.observatory.model.Attributes;
import dev.uat.observatory.model.Event;
import dev.uat.observatory.model.InstrumentationScope;
import dev.uat.observatory.model.Link;
import dev.uat.observatory.model.Resource;
import dev.uat.observatory.model.Span;
import dev.uat.observatory.model.StatusCode;
import dev.uat.web.Json;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Decodes the OTLP/JSON encoding of {@code ExportTraceServiceRequest} into model spans, as the OTLP
 * specification describes it: trace and span ids as hex strings, 64-bit integers as strings or
 * numbers, enums as numbers or names, field names in lowerCamelCase or snake_case, unknown fields
 * ignored.
 *
 * <p>Thread-safe: one instance serves all requests and keeps the interners that share repeated
 * strings, resources and scopes; each {@link #decode} call has its own reading state.
 */
final class OtlpJsonDecoder {
  private static final JsonFactory FACTORY = Json.MAPPER.getFactory();

  // bounded in bytes: about 1 MiB of strings, 2 MiB of resources, 0.5 MiB of scopes
  private final Interner<String> strings = Interner.strings(4096, 128);
  private final Interner<Resource> resources = Interner.resources(256, 4096);
  private final Interner<InstrumentationScope> scopes = Interner.scopes(256, 1024);

  /**
   * @throws OtlpFormatException when {@code body} is not well-formed OTLP/JSON
   */
  DecodedSpans decode(byte[] body) {
    return decode(body, HeapCharge.unlimited());
  }

  /**
   * Decodes {@code body}, charging what it makes to {@code charge}.
   *
   * @throws OtlpFormatException when {@code body} is not well-formed OTLP/JSON
   * @throws dev.uat.web.HttpError 413 or 429 when {@code charge} cannot grow
   */
  DecodedSpans decode(byte[] body, HeapCharge charge) {
    DecodedSpans out = new DecodedSpans();
    try (JsonParser p = ChargedJson.wrap(FACTORY.createParser(body), charge, false)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new OtlpFormatException("the body must be a JSON object");
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        p.nextToken();
        switch (field) {
          case "resourceSpans", "resource_spans" -> {
            if (array(p, field)) {
              while (p.nextToken() != JsonToken.END_ARRAY) {
                resourceSpans(p, out);
              }
            }
          }
          default -> p.skipChildren();
        }
      }
      return out;
    } catch (JsonProcessingException e) {
      throw new OtlpFormatException(describe(e));
    } catch (NumberFormatException e) {
      // Jackson's BigDecimal parsing of a float whose exponent is out of range
      throw new OtlpFormatException("a number is out of range");
    } catch (IOException e) {
      // from a byte array only a text encoding Jackson cannot decode (bytes it took for UTF-32)
      throw new OtlpFormatException("the body is not UTF-8 JSON text");
    }
  }

  private void resourceSpans(JsonParser p, DecodedSpans out) throws IOException {
    if (!object(p, "resourceSpans[]")) {
      return;
    }
    Resource resource = Resource.empty();
    List<Span.Builder> pending = new ArrayList<>();
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      p.nextToken();
      switch (field) {
        case "resource" -> resource = resource(p);
        case "scopeSpans", "scope_spans" -> {
          if (array(p, field)) {
            while (p.nextToken() != JsonToken.END_ARRAY) {
              scopeSpans(p, out, pending);
            }
          }
        }
        default -> p.skipChildren();
      }
    }
    for (Span.Builder span : pending) {
      out.spans.add(span.resource(resource).build());
    }
  }

  private Resource resource(JsonParser p) throws IOException {
    if (!object(p, "resource")) {
      return Resource.empty();
    }
    Attributes attributes = Attributes.empty();
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      p.nextToken();
      if (field.equals("attributes")) {
        attributes = attributes(p, 0);
      } else {
        p.skipChildren();
      }
    }
    return resources.intern(Resource.of(attributes));
  }

  private void scopeSpans(JsonParser p, DecodedSpans out, List<Span.Builder> pending)
      throws IOException {
    if (!object(p, "scopeSpans[]")) {
      return;
    }
    InstrumentationScope scope = InstrumentationScope.empty();
    int first = pending.size();
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      p.nextToken();
      switch (field) {
        case "scope" -> scope = scope(p);
        case "spans" -> {
          if (array(p, field)) {
            while (p.nextToken() != JsonToken.END_ARRAY) {
              Span.Builder span = span(p, out);
              if (span != null) {
                pending.add(span);
              }
            }
          }
        }
        default -> p.skipChildren();
      }
    }
    for (int i = first; i < pending.size(); i++) {
      pending.get(i).scope(scope);
    }
  }

  private InstrumentationScope scope(JsonParser p) throws IOException {
    if (!object(p, "scope")) {
      return InstrumentationScope.empty();
    }
    String name = "";
    String version = "";
    Attributes attributes = Attributes.empty();
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      p.nextToken();
      switch (field) {
        case "name" -> name = string(p, field);
        case "version" -> version = string(p, field);
        case "attributes" -> attributes = attributes(p, 0);
        default -> p.skipChildren();
      }
    }
    return scopes.intern(new InstrumentationScope(name, version, attributes));
  }

  /** Reads a span; null when it was rejected (and counted in {@code out}). */
  private Span.Builder span(JsonParser p, DecodedSpans out) throws IOException {
    if (!object(p, "spans[]")) {
      return null;
    }
    Span.Builder span = Span.builder();
    long[] traceId = null;
    long spanId = 0;
    String invalid = null;
    StatusCode statusCode = StatusCode.UNSET;
    String statusMessage = "";
    int droppedAttributes = 0;
    int droppedEvents = 0;
    int droppedLinks = 0;
    List<Event> events = List.of();
    List<Link> links = List.of();
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      p.nextToken();
      switch (field) {
        case "traceId", "trace_id" -> {
          String hex = string(p, field);
          traceId = traceId(hex);
          if (traceId == null) {
            invalid = "traceId '" + abbreviate(hex) + "' is not 32 hex characters";
          }
        }
        case "spanId", "span_id" -> {
          String hex = string(p, field);
          spanId = spanId(hex);
          if (spanId == 0) {
            invalid = "spanId '" + abbreviate(hex) + "' is not 16 hex characters, not all zeros";
          }
        }
        case "parentSpanId", "parent_span_id" -> {
          String hex = string(p, field);
          long parent = hex.isEmpty() ? 0 : spanId(hex);
          if (parent == 0 && !hex.isEmpty() && !hex.equals("0000000000000000")) {
            invalid = "parentSpanId '" + abbreviate(hex) + "' is not 16 hex characters";
          }
          span.parentSpanId(parent);
        }
        case "traceState", "trace_state" -> span.traceState(string(p, field));
        case "name" -> span.name(strings.intern(string(p, field)));
        case "kind" -> span.kind(kind(p));
        case "startTimeUnixNano", "start_time_unix_nano" ->
            span.startEpochNanos(longValue(p, field));
        case "endTimeUnixNano", "end_time_unix_nano" -> span.endEpochNanos(longValue(p, field));
        case "attributes" -> span.attributes(attributes(p, 0));
        case "droppedAttributesCount", "dropped_attributes_count" ->
            droppedAttributes = (int) longValue(p, field);
        case "events" -> events = events(p);
        case "droppedEventsCount", "dropped_events_count" ->
            droppedEvents = (int) longValue(p, field);
        case "links" -> {
          List<Link> valid = new ArrayList<>();
          droppedLinks += links(p, valid);
          links = valid;
        }
        case "droppedLinksCount", "dropped_links_count" ->
            droppedLinks += (int) longValue(p, field);
        case "status" -> {
          if (object(p, field)) {
            while (p.nextToken() == JsonToken.FIELD_NAME) {
              String statusField = p.currentName();
              p.nextToken();
              switch (statusField) {
                case "message" -> statusMessage = string(p, statusField);
                case "code" -> statusCode = statusCode(p);
                default -> p.skipChildren();
              }
            }
          }
        }
        case "flags" -> span.flags((int) longValue(p, field));
        default -> p.skipChildren();
      }
    }
    if (invalid == null && traceId == null) {
      invalid = "traceId is missing";
    }
    if (invalid == null && spanId == 0) {
      invalid = "spanId is missing";
    }
    if (invalid != null) {
      out.reject(invalid);
      return null;
    }
    return span.traceId(traceId[0], traceId[1])
        .spanId(spanId)
        .events(events)
        .links(links)
        .status(statusCode, statusMessage)
        .droppedCounts(droppedAttributes, droppedEvents, droppedLinks);
  }

  private List<Event> events(JsonParser p) throws IOException {
    if (!array(p, "events")) {
      return List.of();
    }
    List<Event> events = new ArrayList<>();
    while (p.nextToken() != JsonToken.END_ARRAY) {
      if (!object(p, "events[]")) {
        continue;
      }
      long time = 0;
      String name = "";
      Attributes attributes = Attributes.empty();
      int dropped = 0;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        p.nextToken();
        switch (field) {
          case "timeUnixNano", "time_unix_nano" -> time = longValue(p, field);
          case "name" -> name = strings.intern(string(p, field));
          case "attributes" -> attributes = attributes(p, 0);
          case "droppedAttributesCount", "dropped_attributes_count" ->
              dropped = (int) longValue(p, field);
          default -> p.skipChildren();
        }
      }
      events.add(new Event(time, name, attributes, dropped));
    }
    return List.copyOf(events);
  }

  /** Reads links into {@code into}; returns how many were dropped for invalid ids. */
  private int links(JsonParser p, List<Link> into) throws IOException {
    if (!array(p, "links")) {
      return 0;
    }
    int dropped = 0;
    while (p.nextToken() != JsonToken.END_ARRAY) {
      if (!object(p, "links[]")) {
        continue;
      }
      long[] traceId = null;
      long spanId = 0;
      String traceState = "";
      Attributes attributes = Attributes.empty();
      int droppedAttributes = 0;
      int flags = 0;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        p.nextToken();
        switch (field) {
          case "traceId", "trace_id" -> traceId = traceId(string(p, field));
          case "spanId", "span_id" -> spanId = spanId(string(p, field));
          case "traceState", "trace_state" -> traceState = string(p, field);
          case "attributes" -> attributes = attributes(p, 0);
          case "droppedAttributesCount", "dropped_attributes_count" ->
              droppedAttributes = (int) longValue(p, field);
          case "flags" -> flags = (int) longValue(p, field);
          default -> p.skipChildren();
        }
      }
      if (traceId == null || spanId == 0) {
        dropped++;
      } else {
        into.add(
            new Link(
                traceId[0], traceId[1], spanId, traceState, attributes, droppedAttributes, flags));
      }
    }
    return dropped;
  }

  private Attributes attributes(JsonParser p, int depth) throws IOException {
    if (!array(p, "attributes")) {
      return Attributes.empty();
    }
    Attributes.Builder attributes = Attributes.builder();
    while (p.nextToken() != JsonToken.END_ARRAY) {
      keyValue(p, attributes, depth);
    }
    return attributes.build();
  }

  private void keyValue(JsonParser p, Attributes.Builder into, int depth) throws IOException {
    if (!object(p, "attributes[]")) {
      return;
    }
    String key = "";
    Object value = "";
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      p.nextToken();
      switch (field) {
        case "key" -> key = strings.intern(string(p, field));
        case "value" -> value = anyValue(p, depth);
        default -> p.skipChildren();
      }
    }
    into.put(key, value);
  }

  private Object anyValue(JsonParser p, int depth) throws IOException {
    if (depth > ProtoReader.MAX_DEPTH) {
      throw new OtlpFormatException("attribute values nested deeper than " + ProtoReader.MAX_DEPTH);
    }
    if (!object(p, "value")) {
      return "";
    }
    Object value = "";
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      p.nextToken();
      switch (field) {
        case "stringValue", "string_value" -> {
          String s = string(p, field);
          value = s.length() <= 48 ? strings.intern(s) : s;
        }
        case "boolValue", "bool_value" -> value = bool(p, field);
        case "intValue", "int_value" -> value = longValue(p, field);
        case "doubleValue", "double_value" -> value = doubleValue(p, field);
        case "bytesValue", "bytes_value" -> value = bytes(p, field);
        case "arrayValue", "array_value" -> value = arrayValue(p, depth);
        case "kvlistValue", "kvlist_value" -> value = kvlistValue(p, depth);
        default -> p.skipChildren();
      }
    }
    return value;
  }

  private List<Object> arrayValue(JsonParser p, int depth) throws IOException {
    List<Object> list = new ArrayList<>();
    if (object(p, "arrayValue")) {
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        p.nextToken();
        if (field.equals("values") && array(p, field)) {
          while (p.nextToken() != JsonToken.END_ARRAY) {
            list.add(anyValue(p, depth + 1));
          }
        } else {
          p.skipChildren();
        }
      }
    }
    return List.copyOf(list);
  }

  private Attributes kvlistValue(JsonParser p, int depth) throws IOException {
    Attributes.Builder kvlist = Attributes.builder();
    if (object(p, "kvlistValue")) {
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        p.nextToken();
        if (field.equals("values") && array(p, field)) {
          while (p.nextToken() != JsonToken.END_ARRAY) {
            keyValue(p, kvlist, depth + 1);
          }
        } else {
          p.skipChildren();
        }
      }
    }
    return kvlist.build();
  }

  private static String describe(JsonProcessingException e) {
    var location = e.getLocation();
    String where =
        location == null
            ? ""
            : " at line " + location.getLineNr() + ", column " + location.getColumnNr();
    return "malformed JSON" + where;
  }
}
