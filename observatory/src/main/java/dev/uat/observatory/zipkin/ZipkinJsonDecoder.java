package dev.uat.observatory.zipkin;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import dev.uat.observatory.ingest.ChargedJson;
import dev.uat.observatory.ingest.HeapCharge;
import dev.uat.observatory.model.AttributeNames;
import dev.uat.observatory.model.Attributes;
import dev.uat.observatory.model.Event;
import dev.uat.observatory.model.InstrumentationScope;
import dev.uat.observatory.model.Resource;
import dev.uat.observatory.model.Span;
import dev.uat.observatory.model.SpanKind;
import dev.uat.observatory.model.StatusCode;
import dev.uat.web.Json;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Decodes a Zipkin v2 JSON list of spans into model spans, mapping them as the OpenTelemetry
 * Collector's Zipkin receiver does:
 *
 * <ul>
 *   <li>{@code localEndpoint.serviceName} becomes the resource's {@code service.name}; {@code
 *       remoteEndpoint} becomes {@code peer.service}, {@code network.peer.address} and {@code
 *       network.peer.port};
 *   <li>{@code kind} maps to the span kind (none: unspecified); {@code timestamp} and {@code
 *       duration} (microseconds) to start and end; annotations become events;
 *   <li>tags become string attributes, except {@code otel.status_code}/{@code
 *       otel.status_description}, which set the status, and {@code error}, which sets status ERROR
 *       with the tag's value as message;
 *   <li>ids are hex: a 64-bit trace id stays 64-bit (the high half zero); a span with a missing or
 *       malformed id is rejected, the others are kept.
 * </ul>
 *
 * <p>Thread-safe; shares resources and short strings between requests (bounded).
 */
public final class ZipkinJsonDecoder {
  private static final JsonFactory FACTORY = Json.MAPPER.getFactory();
  private static final InstrumentationScope SCOPE =
      new InstrumentationScope("zipkin", "", Attributes.empty());

  /** Most values shared, and the longest (in chars): about 1.5 MiB at most. */
  private static final int MAX_SHARED = 4096;

  private static final int MAX_SHARED_CHARS = 128;

  private final ConcurrentHashMap<String, Resource> resources = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, String> strings = new ConcurrentHashMap<>();

  /** What one request decoded to. */
  public record Decoded(List<Span> spans, int rejected, String firstRejection) {}

  /** Thrown for a body that is not a JSON list of Zipkin spans. */
  public static final class FormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    FormatException(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * @throws FormatException when {@code body} is not a JSON array of span objects
   */
  public Decoded decode(byte[] body) {
    return decode(body, HeapCharge.unlimited());
  }

  /**
   * Decodes {@code body}, charging what it makes to {@code charge}.
   *
   * @throws FormatException when {@code body} is not a JSON array of span objects
   * @throws dev.uat.web.HttpError 413 or 429 when {@code charge} cannot grow
   */
  public Decoded decode(byte[] body, HeapCharge charge) {
    List<Span> spans = new ArrayList<>();
    int rejected = 0;
    String firstRejection = null;
    try (JsonParser p = ChargedJson.wrap(FACTORY.createParser(body), charge, true)) {
      if (p.nextToken() != JsonToken.START_ARRAY) {
        throw new FormatException("expected a JSON array of spans");
      }
      JsonToken token;
      while ((token = p.nextToken()) != JsonToken.END_ARRAY) {
        if (token != JsonToken.START_OBJECT) {
          throw new FormatException("expected a span object, found " + token);
        }
        try {
          charge.add(HeapCharge.SPAN);
          spans.add(span(p));
        } catch (RejectedSpan e) {
          rejected++;
          if (firstRejection == null) {
            firstRejection = e.getMessage();
          }
        }
      }
      if (p.nextToken() != null) {
        throw new FormatException("unexpected content after the list of spans");
      }
    } catch (JsonProcessingException e) {
      throw new FormatException(e.getOriginalMessage());
    } catch (IOException e) {
      throw new FormatException(e.toString());
    }
    return new Decoded(spans, rejected, firstRejection);
  }

  private static final class RejectedSpan extends RuntimeException {
    private static final long serialVersionUID = 1L;

    RejectedSpan(String message) {
      super(message, null, false, false);
    }
  }

  private static final class Endpoint {
    String serviceName = "";
    String ip = "";
    long port = -1;
  }

  /** Reads one span object; the parser is on its START_OBJECT and ends on its END_OBJECT. */
  private Span span(JsonParser p) throws IOException {
    long traceHigh = 0;
    long traceLow = 0;
    long spanId = 0;
    long parent = 0;
    String badId = "id is missing";
    String name = "";
    SpanKind kind = SpanKind.UNSPECIFIED;
    long timestamp = 0;
    long duration = 0;
    Endpoint local = null;
    Endpoint remote = null;
    List<Event> events = List.of();
    Attributes.Builder attributes = Attributes.builder();
    StatusCode status = StatusCode.UNSET;
    String statusMessage = "";
    String otelStatus = null;
    String otelDescription = null;
    String error = null;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      JsonToken value = p.nextToken();
      if (value == JsonToken.VALUE_NULL) {
        continue;
      }
      switch (field) {
        case "traceId" -> {
          expectString(p, field);
          char[] chars = p.getTextCharacters();
          int offset = p.getTextOffset();
          int length = p.getTextLength();
          if ((length != 16 && length != 32) || !isHex(chars, offset, length)) {
            badId = "traceId must be 16 or 32 hex characters: " + p.getText();
          } else {
            traceHigh = length == 32 ? hex(chars, offset, 16) : 0;
            traceLow = hex(chars, offset + length - 16, 16);
            if (traceHigh == 0 && traceLow == 0) {
              badId = "traceId must not be all zeros";
            }
          }
        }
        case "id" -> {
          spanId = spanId(p, field);
          if (spanId == 0) {
            badId = "id must be 1 to 16 hex characters, not all zeros: " + p.getText();
          } else if ("id is missing".equals(badId)) {
            badId = null;
          }
        }
        case "parentId" -> {
          parent = spanId(p, field);
          if (parent == 0 && p.getTextLength() > 0 && !allZeros(p)) {
            badId = "parentId must be 1 to 16 hex characters: " + p.getText();
          }
        }
        case "name" -> name = shared(text(p, field));
        case "kind" ->
            kind =
                switch (text(p, field)) {
                  case "CLIENT" -> SpanKind.CLIENT;
                  case "SERVER" -> SpanKind.SERVER;
                  case "PRODUCER" -> SpanKind.PRODUCER;
                  case "CONSUMER" -> SpanKind.CONSUMER;
                  default -> SpanKind.UNSPECIFIED;
                };
        case "timestamp" -> timestamp = number(p, field);
        case "duration" -> duration = number(p, field);
        case "localEndpoint" -> local = endpoint(p);
        case "remoteEndpoint" -> remote = endpoint(p);
        case "annotations" -> events = annotations(p);
        case "tags" -> {
          expect(p, JsonToken.START_OBJECT, field);
          while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            p.nextToken();
            String text = p.currentToken().isScalarValue() ? p.getValueAsString() : null;
            if (text == null) {
              p.skipChildren();
              continue;
            }
            switch (key) {
              case AttributeNames.OTEL_STATUS_CODE -> otelStatus = text;
              case AttributeNames.OTEL_STATUS_DESCRIPTION -> otelDescription = text;
              case AttributeNames.ERROR -> error = text;
              default -> attributes.put(shared(key), text.length() <= 64 ? shared(text) : text);
            }
          }
        }
        default -> p.skipChildren();
      }
    }
    if (otelStatus != null) {
      status =
          switch (otelStatus) {
            case "ERROR" -> StatusCode.ERROR;
            case "OK" -> StatusCode.OK;
            default -> StatusCode.UNSET;
          };
      statusMessage = otelDescription == null ? "" : otelDescription;
    } else if (error != null) {
      status = StatusCode.ERROR;
      statusMessage = error.equals("true") ? "" : error;
    }
    if (remote != null) {
      if (!remote.serviceName.isEmpty()) {
        attributes.put("peer.service", shared(remote.serviceName));
      }
      if (!remote.ip.isEmpty()) {
        attributes.put("network.peer.address", remote.ip);
      }
      if (remote.port >= 0) {
        attributes.put("network.peer.port", remote.port);
      }
    }
    if (badId != null || (traceHigh == 0 && traceLow == 0)) {
      throw new RejectedSpan(badId != null ? badId : "traceId is missing");
    }
    long start = nanos(timestamp);
    long length = nanos(Math.max(0, duration));
    if (start == OUT_OF_RANGE || length == OUT_OF_RANGE || start > Long.MAX_VALUE - length) {
      throw new RejectedSpan("timestamp or duration out of range");
    }
    long end = start + length;
    return Span.builder()
        .traceId(traceHigh, traceLow)
        .spanId(spanId)
        .parentSpanId(parent == spanId ? 0 : parent)
        .name(name)
        .kind(kind)
        .startEpochNanos(start)
        .endEpochNanos(end)
        .attributes(attributes.build())
        .events(events)
        .status(status, statusMessage)
        .flags(1)
        .scope(SCOPE)
        .resource(resource(local == null ? "" : local.serviceName))
        .build();
  }

  private Resource resource(String serviceName) {
    Resource resource = resources.get(serviceName);
    if (resource == null) {
      resource =
          serviceName.isEmpty()
              ? Resource.empty()
              : Resource.of(Attributes.of(Resource.SERVICE_NAME, serviceName));
      if (serviceName.length() > MAX_SHARED_CHARS) {
        return resource;
      }
      if (resources.size() >= MAX_SHARED) {
        resources.clear();
      }
      resources.putIfAbsent(serviceName, resource);
    }
    return resource;
  }

  private String shared(String s) {
    String existing = strings.get(s);
    if (existing != null) {
      return existing;
    }
    if (s.length() > MAX_SHARED_CHARS) {
      return s;
    }
    if (strings.size() >= MAX_SHARED) {
      strings.clear();
    }
    existing = strings.putIfAbsent(s, s);
    return existing == null ? s : existing;
  }

  private Endpoint endpoint(JsonParser p) throws IOException {
    expect(p, JsonToken.START_OBJECT, "endpoint");
    Endpoint endpoint = new Endpoint();
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      JsonToken value = p.nextToken();
      if (value == JsonToken.VALUE_NULL) {
        continue;
      }
      switch (field) {
        case "serviceName" -> endpoint.serviceName = text(p, field);
        case "ipv4", "ipv6" -> {
          if (endpoint.ip.isEmpty()) {
            endpoint.ip = text(p, field);
          }
        }
        case "port" -> endpoint.port = number(p, field);
        default -> p.skipChildren();
      }
    }
    return endpoint;
  }

  private List<Event> annotations(JsonParser p) throws IOException {
    expect(p, JsonToken.START_ARRAY, "annotations");
    List<Event> events = new ArrayList<>();
    while (p.nextToken() == JsonToken.START_OBJECT) {
      long timestamp = 0;
      String value = "";
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        p.nextToken();
        switch (field) {
          case "timestamp" -> timestamp = number(p, field);
          case "value" -> value = shared(text(p, field));
          default -> p.skipChildren();
        }
      }
      if (nanos(timestamp) != OUT_OF_RANGE) { // an annotation at no representable time is dropped
        events.add(new Event(nanos(timestamp), value, Attributes.empty(), 0));
      }
    }
    return events;
  }

  private static void expect(JsonParser p, JsonToken token, String field) {
    if (p.currentToken() != token) {
      throw new FormatException("'" + field + "' must be " + token);
    }
  }

  private static String text(JsonParser p, String field) throws IOException {
    if (p.currentToken() != JsonToken.VALUE_STRING) {
      throw new FormatException("'" + field + "' must be a string");
    }
    return p.getText();
  }

  private static final long OUT_OF_RANGE = Long.MIN_VALUE;

  /** Microseconds as nanoseconds; {@link #OUT_OF_RANGE} when they do not fit in a long. */
  private static long nanos(long micros) {
    return micros > Long.MAX_VALUE / 1_000 || micros <= Long.MIN_VALUE / 1_000
        ? OUT_OF_RANGE
        : micros * 1_000;
  }

  private static long number(JsonParser p, String field) throws IOException {
    return switch (p.currentToken()) {
      case VALUE_NUMBER_INT -> p.getLongValue();
      case VALUE_NUMBER_FLOAT -> (long) p.getDoubleValue();
      case VALUE_STRING -> {
        try {
          yield Long.parseLong(p.getText().trim());
        } catch (NumberFormatException e) {
          throw new FormatException("'" + field + "' must be a number");
        }
      }
      default -> throw new FormatException("'" + field + "' must be a number");
    };
  }

  private static void expectString(JsonParser p, String field) {
    if (p.currentToken() != JsonToken.VALUE_STRING) {
      throw new FormatException("'" + field + "' must be a string");
    }
  }

  /** A span id of 1 to 16 hex characters; 0 when malformed. */
  private static long spanId(JsonParser p, String field) throws IOException {
    expectString(p, field);
    char[] chars = p.getTextCharacters();
    int offset = p.getTextOffset();
    int length = p.getTextLength();
    if (length == 0 || length > 16 || !isHex(chars, offset, length)) {
      return 0;
    }
    return hex(chars, offset, length);
  }

  private static boolean allZeros(JsonParser p) throws IOException {
    return p.getText().chars().allMatch(c -> c == '0');
  }

  private static boolean isHex(char[] chars, int offset, int length) {
    for (int i = offset; i < offset + length; i++) {
      char c = chars[i];
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
        return false;
      }
    }
    return true;
  }

  private static long hex(char[] chars, int offset, int length) {
    long value = 0;
    for (int i = offset; i < offset + length; i++) {
      value = (value << 4) | Character.digit(chars[i], 16);
    }
    return value;
  }
}
