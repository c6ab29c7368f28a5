package dev.uat.realtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.events.Event;
import dev.uat.events.EventPublisher;
import dev.uat.telemetry.UatAttributes;
import dev.uat.web.WsClient;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Token streaming, the delivery spans, and acknowledged delivery. */
@Timeout(30)
class StreamingTest {
  private static final String CHANNEL = "conversation:mine-stream";
  private Rig rig;

  @BeforeEach
  void start() throws Exception {
    rig = new Rig(s -> s.deltaInterval(Duration.ofMillis(100)).ackWindow(Duration.ofSeconds(3)));
  }

  @AfterEach
  void stop() throws Exception {
    rig.close();
  }

  private void delta(String messageId, int index, String text) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("conversation_id", "mine-stream");
    data.put("message_id", messageId);
    data.put("delta", text);
    data.put("index", index);
    rig.bus.publish(
        new Event(
            CHANNEL,
            "message.delta",
            data,
            EventPublisher.traceparent(Span.current()),
            System.currentTimeMillis()));
  }

  private void created(EventPublisher events, String messageId, String content) {
    events.publish(
        CHANNEL,
        "message.created",
        Map.of(
            "conversation_id",
            "mine-stream",
            "message",
            Map.of("id", messageId, "role", "assistant", "content", content)));
  }

  @Test
  void deltasAreCoalescedAndTheMessageComesAfterTheLastOne() throws Exception {
    try (WsClient c = rig.connected("u1")) {
      Rig.subscribe(c, CHANNEL);
      rig.otel.reset();
      EventPublisher events = rig.publisher();
      StringBuilder all = new StringBuilder();
      Span request = rig.otel.telemetry().tracer().spanBuilder("POST /api/chat").startSpan();
      Span router;
      try (Scope ignored = request.makeCurrent()) {
        for (int i = 0; i < 100; i++) {
          delta("m1", i, "t" + i + " ");
          all.append("t").append(i).append(' ');
        }
        // later chunks arrive in another span's context (the router call, say): a link
        router = rig.otel.telemetry().tracer().spanBuilder("POST").startSpan();
        try (Scope inner = router.makeCurrent()) {
          for (int i = 100; i < 150; i++) {
            delta("m1", i, "t" + i + " ");
            all.append("t").append(i).append(' ');
          }
        }
        router.end();
        created(events, "m1", all.toString());
      }
      request.end();

      List<JsonNode> deltas = new ArrayList<>();
      JsonNode frame;
      while ((frame = c.next("event")).get("event").asText().equals("message.delta")) {
        deltas.add(frame);
      }
      assertThat(frame.get("event").asText()).isEqualTo("message.created");
      assertThat(frame.get("offset").asLong()).isEqualTo(151);
      StringBuilder joined = new StringBuilder();
      for (JsonNode d : deltas) {
        joined.append(d.at("/data/delta").asText());
        assertThat(d.at("/data/message_id").asText()).isEqualTo("m1");
        assertThat(d.at("/data/conversation_id").asText()).isEqualTo("mine-stream");
      }
      assertThat(joined.toString()).isEqualTo(all.toString());
      assertThat(deltas.getFirst().at("/data/index").asInt()).isZero();
      assertThat(deltas.getLast().get("offset").asLong()).isEqualTo(150);
      assertThat(deltas.size()).as("150 deltas published in a burst").isBetween(1, 4);

      // one CONSUMER span for the whole stream, child of the first delta's context, linked to
      // the other; one for the message, child of its PRODUCER span
      await().atMost(Duration.ofSeconds(5)).until(() -> consumers().size() == 2);
      SpanData stream = consumers().getFirst();
      SpanData message = consumers().getLast();
      SpanData producer =
          rig.otel.spans().stream()
              .filter(s -> s.getKind() == SpanKind.PRODUCER)
              .findFirst()
              .orElseThrow();
      assertThat(stream.getName()).isEqualTo("process conversation:{id}");
      assertThat(stream.getAttributes().get(UatAttributes.EVENT_NAME)).isEqualTo("message.delta");
      assertThat(stream.getParentSpanId()).isEqualTo(request.getSpanContext().getSpanId());
      assertThat(stream.getTraceId()).isEqualTo(request.getSpanContext().getTraceId());
      assertThat(stream.getAttributes().get(UatAttributes.MESSAGING_BATCH_MESSAGE_COUNT))
          .isEqualTo(150L);
      assertThat(stream.getAttributes().get(RealtimeAttributes.FRAMES))
          .isEqualTo((long) deltas.size());
      assertThat(stream.getAttributes().get(UatAttributes.REALTIME_RECIPIENTS)).isEqualTo(1L);
      assertThat(stream.getLinks())
          .extracting(l -> l.getSpanContext().getSpanId())
          .containsExactly(router.getSpanContext().getSpanId());
      assertThat(message.getName()).isEqualTo("process conversation:{id}");
      assertThat(message.getAttributes().get(UatAttributes.EVENT_NAME))
          .isEqualTo("message.created");
      assertThat(message.getParentSpanId()).isEqualTo(producer.getSpanId());
      assertThat(message.getAttributes().get(UatAttributes.MESSAGING_SYSTEM)).isEqualTo("uat");
      assertThat(message.getAttributes().get(UatAttributes.MESSAGING_OPERATION_TYPE))
          .isEqualTo("process");
      assertThat(message.getAttributes().get(UatAttributes.MESSAGING_DESTINATION_NAME))
          .isEqualTo(CHANNEL);
      assertThat(message.getAttributes().get(UatAttributes.MESSAGING_MESSAGE_ID)).isEqualTo("151");
      assertThat(producer.getParentSpanId()).isEqualTo(request.getSpanContext().getSpanId());
    }
  }

  @Test
  void firstDeltaGoesOutAtOnceAndTheRestWaitForTheIntervalOrTheMessage() throws Exception {
    try (Rig slow = new Rig(s -> s.deltaInterval(Duration.ofHours(1)));
        WsClient c = slow.connected("u1")) {
      Rig.subscribe(c, CHANNEL);
      rig = swap(slow);
      delta("m2", 0, "first");
      assertThat(c.next("event").at("/data/delta").asText()).isEqualTo("first");
      delta("m2", 1, "a");
      delta("m2", 2, "b");
      assertThat(c.poll(300)).as("held back for the interval").isNull();
      created(slow.publisher(), "m2", "firstab");
      JsonNode second = c.next("event");
      assertThat(second.at("/data/delta").asText()).isEqualTo("ab");
      assertThat(second.at("/data/index").asInt()).isEqualTo(1);
      assertThat(second.get("offset").asLong()).isEqualTo(3);
      assertThat(c.next("event").get("event").asText()).isEqualTo("message.created");
    } finally {
      rig = swap(null);
    }
  }

  private Rig saved;

  /** Makes {@code other} the rig the helpers publish to; null restores the usual one. */
  private Rig swap(Rig other) {
    if (other == null) {
      return saved;
    }
    saved = rig;
    return other;
  }

  @Test
  void recoveredDeltasAreMergedLikeLiveOnes() throws Exception {
    JsonNode seen = firstDeltaSeen("m3");
    delta("m3", 1, "l");
    delta("m3", 2, "lo");
    try (WsClient c = rig.connected("u1")) {
      c.send(Rig.since(CHANNEL, seen));
      assertThat(c.next().get("recovered").asBoolean()).isTrue();
      JsonNode merged = c.next("event");
      assertThat(merged.at("/data/delta").asText()).isEqualTo("llo");
      assertThat(merged.at("/data/index").asInt()).isEqualTo(1);
      assertThat(merged.get("offset").asLong()).isEqualTo(3);
      created(rig.publisher(), "m3", "Hello");
      assertThat(c.next("event").get("event").asText()).isEqualTo("message.created");
    }
  }

  @Test
  void onceTheMessageIsStoredRecoveryReplaysItNotItsTokens() throws Exception {
    JsonNode seen = firstDeltaSeen("m5");
    long offset = seen.get("offset").asLong();
    for (int i = 1; i <= 20; i++) {
      delta("m5", i, "l");
    }
    created(rig.publisher(), "m5", "Hellllllllllllllllllllll");
    try (WsClient c = rig.connected("u1")) {
      c.send(Rig.since(CHANNEL, seen));
      JsonNode reply = c.next();
      assertThat(reply.get("recovered").asBoolean()).as(reply.toString()).isTrue();
      assertThat(reply.get("offset").asLong()).isEqualTo(offset + 21);
      JsonNode replayed = c.next("event");
      assertThat(replayed.get("event").asText()).isEqualTo("message.created");
      assertThat(replayed.get("offset").asLong()).isEqualTo(offset + 21);
      assertThat(c.poll(200)).as("no deltas after the stored message").isNull();
    }
    assertThat(Metrics.scrape(rig.realtime))
        .contains("uat_realtime_history_dropped_total{uat_realtime_reason=\"stored\"} 21");
  }

  /**
   * The first delta ({@code "He"}) of {@code messageId} as a subscriber saw it before going away.
   */
  private JsonNode firstDeltaSeen(String messageId) throws Exception {
    try (WsClient c = rig.connected("u1")) {
      Rig.subscribe(c, CHANNEL);
      delta(messageId, 0, "He");
      return c.next("event");
    }
  }

  @Test
  void acknowledgedDeliveryIsRecordedOnTheConsumerSpan() throws Exception {
    try (WsClient acking = rig.connected("reader", true);
        WsClient silent = rig.connected("other")) {
      Rig.subscribe(acking, CHANNEL);
      Rig.subscribe(silent, CHANNEL);
      rig.otel.reset();
      created(rig.publisher(), "m4", "done");
      JsonNode e = acking.next("event");
      assertThat(silent.next("event").get("offset")).isEqualTo(e.get("offset"));
      assertThat(consumers()).as("the span waits for the acknowledgement").isEmpty();
      acking.send(
          "{\"type\":\"ack\",\"channel\":\"" + CHANNEL + "\",\"offset\":" + e.get("offset") + "}");
      await().atMost(Duration.ofSeconds(2)).until(() -> consumers().size() == 1);
      SpanData consumer = consumers().getFirst();
      assertThat(consumer.getAttributes().get(UatAttributes.REALTIME_RECIPIENTS)).isEqualTo(2L);
      assertThat(consumer.getEvents())
          .singleElement()
          .satisfies(
              (EventData delivered) -> {
                assertThat(delivered.getName()).isEqualTo("delivered");
                assertThat(delivered.getAttributes().get(UatAttributes.USER_ID))
                    .isEqualTo("reader");
                assertThat(
                        delivered.getAttributes().get(UatAttributes.REALTIME_DELIVERY_LATENCY_MS))
                    .isPositive();
              });
      assertThat(Metrics.scrape(rig.realtime))
          .contains(
              "uat_realtime_delivery_duration_seconds_count{messaging_destination_template=\"conversation:{id}\"} 1");
    }
  }

  @Test
  void unacknowledgedDeliveryEndsWithTheAckWindow() throws Exception {
    try (Rig quick = new Rig(s -> s.ackWindow(Duration.ofMillis(500)));
        WsClient acking = quick.connected("forgetful", true)) {
      rig = swap(quick);
      Rig.subscribe(acking, CHANNEL);
      rig.otel.reset();
      created(rig.publisher(), "m5", "done");
      acking.next("event");
      assertThat(consumers()).isEmpty();
      await()
          .atMost(Duration.ofSeconds(5))
          .pollInterval(Duration.ofMillis(50))
          .until(() -> consumers().size() == 1);
      assertThat(consumers().getFirst().getEvents()).isEmpty();
    } finally {
      rig = swap(null);
    }
  }

  private List<SpanData> consumers() {
    return rig.otel.spans().stream().filter(s -> s.getKind() == SpanKind.CONSUMER).toList();
  }
}
