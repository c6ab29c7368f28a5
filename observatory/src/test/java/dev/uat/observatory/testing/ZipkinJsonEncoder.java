package dev.uat.observatory.testing;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.uat.observatory.model.AttributeText;
import dev.uat.observatory.model.Attributes;
import dev.uat.observatory.model.Event;
import dev.uat.observatory.model.Ids;
import dev.uat.observatory.model.Span;
import dev.uat.observatory.model.StatusCode;
import dev.uat.web.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/** Encodes model spans as a Zipkin v2 JSON list, as a Zipkin reporter would send them. */
public final class ZipkinJsonEncoder {
  private ZipkinJsonEncoder() {}

  public static byte[] encode(List<Span> spans) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(spans.size() * 400);
    try (JsonGenerator g = Json.MAPPER.getFactory().createGenerator(out)) {
      g.writeStartArray();
      for (Span span : spans) {
        g.writeStartObject();
        g.writeStringField(
            "traceId", span.traceIdHigh() == 0 ? Ids.hex(span.traceIdLow()) : span.traceIdHex());
        if (!span.isRoot()) {
          g.writeStringField("parentId", Ids.hex(span.parentSpanId()));
        }
        g.writeStringField("id", span.spanIdHex());
        switch (span.kind()) {
          case SERVER, CLIENT, PRODUCER, CONSUMER -> g.writeStringField("kind", span.kind().name());
          default -> {}
        }
        g.writeStringField("name", span.name());
        g.writeNumberField("timestamp", span.startEpochNanos() / 1000);
        g.writeNumberField("duration", Math.max(1, span.durationNanos() / 1000));
        g.writeObjectFieldStart("localEndpoint");
        g.writeStringField("serviceName", span.serviceName());
        g.writeEndObject();
        if (!span.events().isEmpty()) {
          g.writeArrayFieldStart("annotations");
          for (Event e : span.events()) {
            g.writeStartObject();
            g.writeNumberField("timestamp", e.epochNanos() / 1000);
            g.writeStringField("value", e.name());
            g.writeEndObject();
          }
          g.writeEndArray();
        }
        Attributes a = span.attributes();
        if (!a.isEmpty() || span.statusCode() == StatusCode.ERROR) {
          g.writeObjectFieldStart("tags");
          for (int i = 0; i < a.size(); i++) {
            g.writeStringField(a.key(i), AttributeText.of(a.value(i)));
          }
          if (span.statusCode() == StatusCode.ERROR) {
            g.writeStringField(
                "error", span.statusMessage().isEmpty() ? "true" : span.statusMessage());
          }
          g.writeEndObject();
        }
        g.writeEndObject();
      }
      g.writeEndArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
