package dev.uat.observatory.otlp;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import dev.uat.observatory.ingest.ChargedJson;
import dev.uat.observatory.ingest.HeapCharge;
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
import dev.uat.web.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

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
    } catch (IOException e) {
      throw new UncheckedIOException(e); // not expected when reading from a byte array
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

  // --- values ---

  /** True at the start of an object; false for null; otherwise the body is malformed. */
  private static boolean object(JsonParser p, String field) {
    return expect(p, JsonToken.START_OBJECT, field, "an object");
  }

  /** True at the start of an array; false for null; otherwise the body is malformed. */
  private static boolean array(JsonParser p, String field) {
    return expect(p, JsonToken.START_ARRAY, field, "an array");
  }

  private static boolean expect(JsonParser p, JsonToken start, String field, String what) {
    JsonToken token = p.currentToken();
    if (token == start) {
      return true;
    }
    if (token == JsonToken.VALUE_NULL) {
      return false;
    }
    throw wrongType(field, what);
  }

  private static String string(JsonParser p, String field) throws IOException {
    return switch (p.currentToken()) {
      case VALUE_STRING -> p.getText();
      case VALUE_NULL -> "";
      default -> throw wrongType(field, "a string");
    };
  }

  private static boolean bool(JsonParser p, String field) throws IOException {
    return switch (p.currentToken()) {
      case VALUE_TRUE -> true;
      case VALUE_FALSE, VALUE_NULL -> false;
      case VALUE_STRING -> Boolean.parseBoolean(p.getText());
      default -> throw wrongType(field, "a boolean");
    };
  }

  /** A 64-bit integer written as a number or a string (signed, or unsigned up to 2^64-1). */
  private static long longValue(JsonParser p, String field) throws IOException {
    return switch (p.currentToken()) {
      case VALUE_NUMBER_INT ->
          p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
              ? p.getBigIntegerValue().longValue() // an unsigned value above Long.MAX_VALUE
              : p.getLongValue();
      case VALUE_NUMBER_FLOAT -> p.getDecimalValue().longValue();
      case VALUE_STRING -> parseLong(p.getText().trim(), field);
      case VALUE_NULL -> 0;
      default -> throw wrongType(field, "an integer");
    };
  }

  private static long parseLong(String text, String field) {
    try {
      return text.startsWith("-") ? Long.parseLong(text) : Long.parseUnsignedLong(text);
    } catch (NumberFormatException e) {
      throw new OtlpFormatException("field '" + field + "' is not an integer: " + abbreviate(text));
    }
  }

  private static double doubleValue(JsonParser p, String field) throws IOException {
    return switch (p.currentToken()) {
      case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> p.getDoubleValue();
      case VALUE_STRING -> {
        String text = p.getText().trim();
        try {
          yield switch (text) {
            case "NaN" -> Double.NaN;
            case "Infinity" -> Double.POSITIVE_INFINITY;
            case "-Infinity" -> Double.NEGATIVE_INFINITY;
            default -> Double.parseDouble(text);
          };
        } catch (NumberFormatException e) {
          throw new OtlpFormatException("field '" + field + "' is not a number");
        }
      }
      case VALUE_NULL -> 0.0;
      default -> throw wrongType(field, "a number");
    };
  }

  private static Bytes bytes(JsonParser p, String field) throws IOException {
    String base64 = string(p, field);
    try {
      return Bytes.of(Base64.getDecoder().decode(base64));
    } catch (IllegalArgumentException e) {
      try {
        return Bytes.of(Base64.getUrlDecoder().decode(base64));
      } catch (IllegalArgumentException e2) {
        throw new OtlpFormatException("field '" + field + "' is not base64");
      }
    }
  }

  private static SpanKind kind(JsonParser p) throws IOException {
    if (p.currentToken() == JsonToken.VALUE_STRING) {
      String name = p.getText().trim().toUpperCase(Locale.ROOT);
      if (!name.isEmpty() && Character.isDigit(name.charAt(0))) {
        return SpanKind.fromOtlp(parseLong(name, "kind"));
      }
      name = name.startsWith("SPAN_KIND_") ? name.substring("SPAN_KIND_".length()) : name;
      for (SpanKind kind : SpanKind.values()) {
        if (kind.name().equals(name)) {
          return kind;
        }
      }
      return SpanKind.UNSPECIFIED;
    }
    return SpanKind.fromOtlp(longValue(p, "kind"));
  }

  private static StatusCode statusCode(JsonParser p) throws IOException {
    if (p.currentToken() == JsonToken.VALUE_STRING) {
      String name = p.getText().trim().toUpperCase(Locale.ROOT);
      if (!name.isEmpty() && Character.isDigit(name.charAt(0))) {
        return StatusCode.fromOtlp(parseLong(name, "code"));
      }
      name = name.startsWith("STATUS_CODE_") ? name.substring("STATUS_CODE_".length()) : name;
      for (StatusCode code : StatusCode.values()) {
        if (code.name().equals(name)) {
          return code;
        }
      }
      return StatusCode.UNSET;
    }
    return StatusCode.fromOtlp(longValue(p, "code"));
  }

  /** A 32-hex-character trace id as {high, low}; null when malformed or all zeros. */
  private static long[] traceId(String hex) {
    if (hex.length() != 32) {
      return null;
    }
    try {
      long high = Ids.parseHex(hex, 0, 16);
      long low = Ids.parseHex(hex, 16, 32);
      return high == 0 && low == 0 ? null : new long[] {high, low};
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** A 16-hex-character span id; 0 when malformed (0 is not a valid span id either). */
  private static long spanId(String hex) {
    if (hex.length() != 16) {
      return 0;
    }
    try {
      return Ids.parseHex(hex, 0, 16);
    } catch (IllegalArgumentException e) {
      return 0;
    }
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }

  private static OtlpFormatException wrongType(String field, String what) {
    return new OtlpFormatException("field '" + field + "' must be " + what);
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
