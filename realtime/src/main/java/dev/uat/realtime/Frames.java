package dev.uat.realtime;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.events.Event;
import dev.uat.web.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** The server's frames, encoded once as UTF-8 JSON and shared between recipients. */
final class Frames {
  static final ByteBuffer PING = text("{\"type\":\"ping\"}");

  private Frames() {}

  static ByteBuffer text(String json) {
    return ByteBuffer.wrap(json.getBytes(StandardCharsets.UTF_8));
  }

  /** {@code {"type":"event","channel","offset","epoch","event","data","traceparent","ts"}}. */
  static ByteBuffer event(Publication p) {
    Event e = p.event();
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    try (JsonGenerator g = Json.MAPPER.createGenerator(out)) {
      head(g, e.channel(), p.offset(), p.epoch(), e.event());
      g.writeFieldName("data");
      Json.MAPPER.writeValue(g, e.data());
      tail(g, e.traceparent(), e.timestampMillis());
    } catch (IOException x) {
      throw new UncheckedIOException(x);
    }
    return ByteBuffer.wrap(out.toByteArray());
  }

  /** A {@code message.delta} event holding several deltas of one message, concatenated. */
  static ByteBuffer delta(
      String channel,
      long offset,
      String epoch,
      JsonNode conversationId,
      String messageId,
      CharSequence delta,
      long index,
      String traceparent,
      long ts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(128 + delta.length());
    try (JsonGenerator g = Json.MAPPER.createGenerator(out)) {
      head(g, channel, offset, epoch, Streams.DELTA);
      g.writeObjectFieldStart("data");
      if (conversationId != null && !conversationId.isMissingNode()) {
        g.writeFieldName("conversation_id");
        Json.MAPPER.writeTree(g, conversationId);
      }
      g.writeStringField("message_id", messageId);
      g.writeStringField("delta", delta.toString());
      g.writeNumberField("index", index);
      g.writeEndObject();
      tail(g, traceparent, ts);
    } catch (IOException x) {
      throw new UncheckedIOException(x);
    }
    return ByteBuffer.wrap(out.toByteArray());
  }

  private static void head(JsonGenerator g, String channel, long offset, String epoch, String name)
      throws IOException {
    g.writeStartObject();
    g.writeStringField("type", "event");
    g.writeStringField("channel", channel);
    g.writeNumberField("offset", offset);
    g.writeStringField("epoch", epoch);
    g.writeStringField("event", name);
  }

  private static void tail(JsonGenerator g, String traceparent, long ts) throws IOException {
    if (traceparent != null) {
      g.writeStringField("traceparent", traceparent);
    }
    g.writeNumberField("ts", ts);
    g.writeEndObject();
  }

  /** A reply or error: a JSON object. */
  static ByteBuffer reply(Map<String, ?> body) {
    return ByteBuffer.wrap(Json.write(body));
  }

  /** {@code body} with the client frame's {@code id} (when it had one) added last. */
  static Map<String, Object> withId(Map<String, Object> body, JsonNode id) {
    if (id != null && !id.isNull()) {
      body.put("id", id);
    }
    return body;
  }

  /** {@code {"type":"error","code","message"}} and the client frame's {@code id}. */
  static ByteBuffer error(JsonNode id, String code, String message) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("type", "error");
    body.put("code", code);
    body.put("message", message);
    return reply(withId(body, id));
  }
}
