package dev.uat.realtime;

import static dev.uat.realtime.RealtimeAttributes.FRAMES;
import static dev.uat.telemetry.UatAttributes.MESSAGING_BATCH_MESSAGE_COUNT;
import static dev.uat.telemetry.UatAttributes.REALTIME_RECIPIENTS;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.events.Event;
import dev.uat.web.Json;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Scope;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Token streaming: the {@code message.delta} events of one message (possibly hundreds per second)
 * go out as at most one frame per {@code interval} (25 per second by default), their {@code delta}s
 * concatenated and the first {@code index} kept. The first delta of a quiet stream goes out at
 * once; what is pending is flushed before any other event of the channel (so the {@code
 * message.created} that ends a stream always comes after its last delta).
 *
 * <p>One CONSUMER span per stream and instance, from its first delta to its {@code message.created}
 * (or 30 s of silence), child of the first delta's context and linked to the other contexts its
 * deltas carried: a streamed answer is one delivery in the trace, not hundreds.
 *
 * <p>Delivery thread only.
 */
final class Streams {
  static final String DELTA = "message.delta";
  static final String CREATED = "message.created";
  static final Duration IDLE = Duration.ofSeconds(30);
  private static final int MAX_LINKS = 32;

  private final Delivery delivery;
  private final long intervalNanos;
  private final Map<String, Map<String, Stream>> byChannel = new HashMap<>();

  Streams(Delivery delivery, Duration interval) {
    this.delivery = delivery;
    this.intervalNanos = interval.toNanos();
  }

  private final class Stream {
    final String channel;
    final String messageId;
    final Span span;
    final Set<String> contexts = new HashSet<>();
    final StringBuilder pending = new StringBuilder();
    JsonNode conversationId;
    long firstIndex;
    long lastOffset;
    String epoch;
    String traceparent;
    long ts;
    boolean hasPending;
    boolean flushScheduled;
    long lastFlushNanos;
    long lastDeltaNanos;
    long deltas;
    long frames;
    long recipients;

    Stream(String channel, String messageId, Span span) {
      this.channel = channel;
      this.messageId = messageId;
      this.span = span;
      this.lastFlushNanos = System.nanoTime() - intervalNanos;
    }
  }

  static JsonNode tree(Object data) {
    return data instanceof JsonNode n ? n : Json.MAPPER.valueToTree(data);
  }

  /** Takes a delta; false when it is not one this coalesces (no message id): send it as is. */
  boolean delta(Publication p) {
    Event e = p.event();
    JsonNode data = tree(e.data());
    JsonNode messageIdNode = data.get("message_id");
    JsonNode deltaNode = data.get("delta");
    if (messageIdNode == null
        || !messageIdNode.isValueNode()
        || deltaNode == null
        || !deltaNode.isTextual()) {
      return false;
    }
    String messageId = messageIdNode.asText();
    Map<String, Stream> streams = byChannel.computeIfAbsent(e.channel(), k -> new HashMap<>());
    Stream s = streams.get(messageId);
    if (s == null) {
      Span span = delivery.consumerSpan(e.channel(), e.traceparent(), DELTA).startSpan();
      s = new Stream(e.channel(), messageId, span);
      SpanContext first = Span.fromContext(delivery.parent(e.traceparent())).getSpanContext();
      if (first.isValid()) {
        s.contexts.add(first.getTraceId() + first.getSpanId());
      }
      streams.put(messageId, s);
    } else if (e.traceparent() != null && s.contexts.size() < MAX_LINKS) {
      SpanContext other = Span.fromContext(delivery.parent(e.traceparent())).getSpanContext();
      if (other.isValid() && s.contexts.add(other.getTraceId() + other.getSpanId())) {
        s.span.addLink(other);
      }
    }
    if (s.hasPending && ((p.offset() == 0) != (s.lastOffset == 0) || !p.epoch().equals(s.epoch))) {
      // numbered and unnumbered deltas (Redis went away or came back mid-answer), or two epochs,
      // never share a frame: a numbered delta sent under offset 0 would be replayed by `since`
      flush(s);
    }
    if (!s.hasPending) {
      s.hasPending = true;
      s.firstIndex = data.path("index").asLong(0);
      s.conversationId = data.get("conversation_id");
      s.traceparent = e.traceparent();
      s.ts = e.timestampMillis();
    }
    s.pending.append(deltaNode.asText());
    s.lastOffset = p.offset();
    s.epoch = p.epoch();
    s.deltas++;
    long now = System.nanoTime();
    s.lastDeltaNanos = now;
    long wait = s.lastFlushNanos + intervalNanos - now;
    if (wait <= 0) {
      flush(s);
    } else if (!s.flushScheduled) {
      s.flushScheduled = true;
      Stream stream = s;
      delivery.schedule(
          () -> {
            stream.flushScheduled = false;
            flush(stream);
          },
          wait);
    }
    return true;
  }

  private void flush(Stream s) {
    if (!s.hasPending) {
      return;
    }
    ByteBuffer frame =
        Frames.delta(
            s.channel,
            s.lastOffset,
            s.epoch,
            s.conversationId,
            s.messageId,
            s.pending,
            s.firstIndex,
            s.traceparent,
            s.ts);
    s.pending.setLength(0);
    s.hasPending = false;
    s.lastFlushNanos = System.nanoTime();
    s.frames++;
    Set<Subscription> members = delivery.members(s.channel);
    if (members == null || members.isEmpty()) {
      return;
    }
    s.recipients = Math.max(s.recipients, members.size());
    long start = System.nanoTime();
    Broadcast tracker =
        new Broadcast(s.span, Event.template(s.channel), start, false, delivery.recorder());
    try (Scope ignored = s.span.makeCurrent()) {
      delivery.send(members, frame, s.lastOffset, s.epoch, tracker, start);
    } catch (RuntimeException e) {
      s.span.recordException(e);
      s.span.setStatus(StatusCode.ERROR);
    }
    tracker.release();
  }

  private void end(Stream s) {
    flush(s);
    s.span.setAttribute(MESSAGING_BATCH_MESSAGE_COUNT, s.deltas);
    s.span.setAttribute(FRAMES, s.frames);
    s.span.setAttribute(REALTIME_RECIPIENTS, s.recipients);
    s.span.end();
  }

  /**
   * Before another event of the same channel: pending deltas go first; a {@code message.created}
   * for a streamed message ends its stream.
   */
  void beforeEvent(Publication p) {
    Map<String, Stream> streams = byChannel.get(p.channel());
    if (streams == null) {
      return;
    }
    String created = null;
    if (CREATED.equals(p.event().event())) {
      JsonNode id = tree(p.event().data()).path("message").get("id");
      created = id == null ? null : id.asText();
    }
    for (Stream s : streams.values()) {
      flush(s);
    }
    if (created != null) {
      Stream s = streams.remove(created);
      if (s != null) {
        end(s);
      }
      if (streams.isEmpty()) {
        byChannel.remove(p.channel());
      }
    }
  }

  /** Ends streams that have been quiet for {@link #IDLE}. */
  void sweep() {
    long now = System.nanoTime();
    for (Iterator<Map<String, Stream>> channels = byChannel.values().iterator();
        channels.hasNext(); ) {
      Map<String, Stream> streams = channels.next();
      for (Iterator<Stream> it = streams.values().iterator(); it.hasNext(); ) {
        Stream s = it.next();
        if (now - s.lastDeltaNanos > IDLE.toNanos()) {
          it.remove();
          end(s);
        }
      }
      if (streams.isEmpty()) {
        channels.remove();
      }
    }
  }

  void endAll() {
    for (Map<String, Stream> streams : byChannel.values()) {
      for (Stream s : streams.values()) {
        end(s);
      }
    }
    byChannel.clear();
  }

  /**
   * Frames for recovered events, oldest first: consecutive deltas of one message become one frame
   * (offset of the last, index of the first), as they would have live.
   */
  static List<ByteBuffer> merge(List<Publication> events) {
    List<ByteBuffer> out = new ArrayList<>(events.size());
    int i = 0;
    while (i < events.size()) {
      Publication p = events.get(i);
      if (!DELTA.equals(p.event().event())) {
        out.add(Frames.event(p));
        i++;
        continue;
      }
      JsonNode data = tree(p.event().data());
      JsonNode id = data.get("message_id");
      JsonNode delta = data.get("delta");
      if (id == null || delta == null || !delta.isTextual()) {
        out.add(Frames.event(p));
        i++;
        continue;
      }
      StringBuilder text = new StringBuilder(delta.asText());
      Publication last = p;
      int j = i + 1;
      while (j < events.size() && DELTA.equals(events.get(j).event().event())) {
        JsonNode next = tree(events.get(j).event().data());
        if (!id.equals(next.get("message_id")) || !next.path("delta").isTextual()) {
          break;
        }
        text.append(next.get("delta").asText());
        last = events.get(j);
        j++;
      }
      out.add(
          Frames.delta(
              p.channel(),
              last.offset(),
              last.epoch(),
              data.get("conversation_id"),
              id.asText(),
              text,
              data.path("index").asLong(0),
              p.event().traceparent(),
              p.event().timestampMillis()));
      i = j;
    }
    return out;
  }
}
