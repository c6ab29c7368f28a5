package dev.uat.realtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.auth.Revocation;
import dev.uat.events.Event;
import dev.uat.events.EventPublisher;
import dev.uat.events.HttpEventBus;
import dev.uat.telemetry.Telemetry;
import dev.uat.telemetry.TestTelemetry;
import dev.uat.telemetry.UatAttributes;
import dev.uat.web.WsClient;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.semconv.ServiceAttributes;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Two realtime instances and an api-side publisher on one (embedded, real) Redis. */
@Timeout(60)
class RedisFanoutTest {
  private final String redisUrl = EmbeddedRedis.url();

  private TestTelemetry apiTelemetry;
  private RedisEventBus apiBus;
  private Rig one;
  private Rig two;

  @BeforeEach
  void start() throws Exception {
    apiTelemetry = new TestTelemetry("uat-api");
    apiBus = RedisEventBus.connect(redisUrl, apiTelemetry.telemetry(), 5, Duration.ofMinutes(5));
    one = new Rig(s -> s, bus("one"), "uat-realtime");
    two = new Rig(s -> s, bus("two"), "uat-realtime");
  }

  private RealtimeEvents bus(String name) {
    return RealtimeEvents.connect(redisUrl, dev.uat.telemetry.Telemetry.noop(name));
  }

  @AfterEach
  void stop() throws Exception {
    one.close();
    two.close();
    apiBus.close();
    apiTelemetry.close();
  }

  @Test
  void eventPublishedOnEitherSideReachesSubscribersOfBothInstances() throws Exception {
    String channel = "conversation:mine-shared";
    try (WsClient a = one.subscribed("ada", channel);
        WsClient b = two.subscribed("bob", channel)) {

      new EventPublisher(apiBus, apiTelemetry.telemetry())
          .publish(channel, "message.created", Map.of("text", "from the api"));
      JsonNode atOne = a.next("event");
      JsonNode atTwo = b.next("event");
      assertThat(atOne.at("/data/text").asText()).isEqualTo("from the api");
      assertThat(atTwo).isEqualTo(atOne);
      assertThat(atOne.get("offset").asLong()).isEqualTo(1);

      // the distributed mode without Redis on the api side: events posted to one instance
      var posted =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create(two.realtime.url() + "/internal/events"))
                      .header(
                          "Authorization",
                          "Bearer " + Rig.ISSUER.service("uat-api", Realtime.AUDIENCE).value())
                      .POST(
                          HttpRequest.BodyPublishers.ofString(
                              "{\"channel\":\""
                                  + channel
                                  + "\",\"event\":\"message.created\",\"data\":{\"text\":\"posted\"},\"timestampMillis\":1}"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(posted.statusCode()).isEqualTo(202);
      assertThat(a.next("event").at("/data/text").asText()).isEqualTo("posted");
      JsonNode second = b.next("event");
      assertThat(second.at("/data/text").asText()).isEqualTo("posted");
      assertThat(second.get("offset").asLong()).isEqualTo(2);
      assertThat(second.get("epoch")).isEqualTo(atOne.get("epoch"));

      // an api's fallback while its Redis is away (Uat-Delivery: local): that instance's own
      // subscribers only, unnumbered, never through Redis, so in no stream
      new HttpEventBus(Telemetry.noop("uat-api"), two.realtime.url(), Rig.ISSUER, true)
          .publish(new Event(channel, "message.created", Map.of("text", "here"), null, 2));
      JsonNode local = b.next("event");
      assertThat(local.at("/data/text").asText()).isEqualTo("here");
      assertThat(local.get("offset").asLong()).isZero();
      assertThat(local.get("epoch").asText()).isEmpty();
      assertThat(a.poll(300)).as("nothing reaches the other instance").isNull();
      try (WsClient back = one.connected("ada")) {
        back.send(Rig.since(channel, second));
        JsonNode reply = back.next();
        assertThat(reply.get("recovered").asBoolean()).as(reply.toString()).isTrue();
        assertThat(reply.get("offset").asLong()).as("not numbered").isEqualTo(2);
        assertThat(back.poll(300)).as("not in the stream").isNull();
      }
    }
  }

  /**
   * Redis goes away mid-answer: a numbered delta still waiting to be coalesced and an unnumbered
   * one never share a frame, else the numbered one would go out as offset 0 and a client's `since`
   * would replay it.
   */
  @Test
  void numberedAndUnnumberedDeltasAreNeverCoalescedTogether() throws Exception {
    String channel = "conversation:mine-mixed";
    RedisEventBus bus = RedisEventBus.connect(redisUrl, Telemetry.noop("three"));
    try (Rig three =
            new Rig(
                s -> s.deltaInterval(Duration.ofSeconds(1)),
                RealtimeEvents.redis(bus),
                "uat-realtime");
        WsClient c = three.subscribed("ada", channel)) {
      bus.publish(deltaEvent(channel, 0, "a"));
      JsonNode first = c.next("event");
      assertThat(first.at("/data/delta").asText()).isEqualTo("a");
      bus.publish(deltaEvent(channel, 1, "b")); // numbered; waits for the interval
      Thread.sleep(200); // it came back from Redis and waits in the coalescer
      bus.deliverHere(deltaEvent(channel, 2, "c"), 100);
      JsonNode numbered = c.next("event");
      JsonNode unnumbered = c.next("event");
      assertThat(numbered.at("/data/delta").asText()).isEqualTo("b");
      assertThat(numbered.get("offset").asLong()).isEqualTo(first.get("offset").asLong() + 1);
      assertThat(unnumbered.at("/data/delta").asText()).isEqualTo("c");
      assertThat(unnumbered.get("offset").asLong()).isZero();
    }
  }

  private static Event deltaEvent(String channel, int index, String text) {
    return new Event(
        channel, "message.delta", delta("m1", index, text), null, System.currentTimeMillis());
  }

  @Test
  void eachInstanceRecordsOneConsumerSpanUnderTheProducer() throws Exception {
    String channel = "conversation:mine-traced";
    try (WsClient a = one.subscribed("ada", channel);
        WsClient a2 = one.subscribed("ada", channel);
        WsClient b = two.subscribed("bob", channel)) {
      one.otel.reset();
      two.otel.reset();

      new EventPublisher(apiBus, apiTelemetry.telemetry())
          .publish(channel, "message.created", Map.of("n", 1));
      a.next("event");
      a2.next("event");
      JsonNode e = b.next("event");

      SpanData producer = apiTelemetry.spans().getFirst();
      assertThat(producer.getKind()).isEqualTo(SpanKind.PRODUCER);
      assertThat(producer.getName()).isEqualTo("send conversation:{id}");
      assertThat(producer.getAttributes().get(UatAttributes.MESSAGING_SYSTEM)).isEqualTo("redis");
      assertThat(e.get("traceparent").asText())
          .isEqualTo(
              "00-"
                  + producer.getTraceId()
                  + "-"
                  + producer.getSpanId()
                  + "-"
                  + producer.getSpanContext().getTraceFlags().asHex());
      for (var instance : List.of(one, two)) {
        await().atMost(Duration.ofSeconds(5)).until(() -> consumers(instance).size() == 1);
      }
      SpanData atOne = consumers(one).getFirst();
      SpanData atTwo = consumers(two).getFirst();
      for (SpanData consumer : List.of(atOne, atTwo)) {
        assertThat(consumer.getName()).isEqualTo("process conversation:{id}");
        assertThat(consumer.getKind()).isEqualTo(SpanKind.CONSUMER);
        assertThat(consumer.getTraceId()).isEqualTo(producer.getTraceId());
        assertThat(consumer.getParentSpanId()).isEqualTo(producer.getSpanId());
        assertThat(consumer.getAttributes().get(UatAttributes.MESSAGING_SYSTEM)).isEqualTo("redis");
        assertThat(consumer.getAttributes().get(UatAttributes.MESSAGING_OPERATION_TYPE))
            .isEqualTo("process");
        assertThat(consumer.getAttributes().get(UatAttributes.MESSAGING_DESTINATION_TEMPLATE))
            .isEqualTo("conversation:{id}");
        assertThat(consumer.getAttributes().get(UatAttributes.MESSAGING_MESSAGE_ID)).isEqualTo("1");
        assertThat(consumer.getResource().getAttribute(ServiceAttributes.SERVICE_NAME))
            .isEqualTo("uat-realtime");
      }
      assertThat(atOne.getAttributes().get(UatAttributes.REALTIME_RECIPIENTS)).isEqualTo(2L);
      assertThat(atTwo.getAttributes().get(UatAttributes.REALTIME_RECIPIENTS)).isEqualTo(1L);
    }
  }

  /** What a subscriber at instance one saw of {@code publish} before going away. */
  private JsonNode seenAtOne(String channel, Runnable publish) throws Exception {
    try (WsClient a = one.subscribed("ada", channel)) {
      publish.run();
      return a.next("event");
    }
  }

  private static List<SpanData> consumers(Rig rig) {
    return rig.otel.spans().stream().filter(s -> s.getKind() == SpanKind.CONSUMER).toList();
  }

  @Test
  void clientRecoversOnOneInstanceWhatItMissedOnTheOther() throws Exception {
    String channel = "conversation:mine-moving";
    EventPublisher events = new EventPublisher(apiBus, apiTelemetry.telemetry());
    JsonNode seen =
        seenAtOne(channel, () -> events.publish(channel, "message.created", Map.of("n", 1)));
    events.publish(channel, "message.created", Map.of("n", 2));
    events.publish(channel, "message.created", Map.of("n", 3));
    try (WsClient b = two.connected("ada")) {
      b.send(Rig.since(channel, seen));
      JsonNode reply = b.next();
      assertThat(reply.get("recovered").asBoolean()).as(reply.toString()).isTrue();
      assertThat(reply.get("offset").asLong()).isEqualTo(3);
      assertThat(b.next("event").at("/data/n").asInt()).isEqualTo(2);
      assertThat(b.next("event").at("/data/n").asInt()).isEqualTo(3);
      events.publish(channel, "message.created", Map.of("n", 4));
      assertThat(b.next("event").at("/data/n").asInt()).isEqualTo(4);
      assertThat(b.poll(200)).isNull();
    }
  }

  @Test
  void gapBeyondTheStreamLengthIsNotRecovered() throws Exception {
    String channel = "conversation:mine-gap";
    EventPublisher events = new EventPublisher(apiBus, apiTelemetry.telemetry());
    JsonNode seen =
        seenAtOne(channel, () -> events.publish(channel, "message.created", Map.of("n", 1)));
    for (int n = 2; n <= 8; n++) {
      events.publish(channel, "message.created", Map.of("n", n)); // the stream keeps 5
    }
    try (WsClient b = two.connected("ada")) {
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> apiBus.history().position(channel).offset() == 8);
      b.send(Rig.since(channel, seen));
      JsonNode reply = b.next();
      assertThat(reply.get("recovered").asBoolean()).isFalse();
      assertThat(reply.get("offset").asLong()).isEqualTo(8);
      assertThat(b.poll(200)).isNull();
    }
  }

  @Test
  void presenceCountsTheSubscribersOfEveryInstance() throws Exception {
    String channel = "conversation:mine-together";
    try (WsClient a = one.subscribed("ada", channel);
        WsClient b = two.subscribed("bob", channel);
        WsClient b2 = two.subscribed("bob", channel)) {
      await()
          .atMost(Duration.ofSeconds(5))
          .untilAsserted(
              () -> {
                a.send("{\"type\":\"presence\",\"channel\":\"" + channel + "\"}");
                JsonNode p = a.next("presence");
                assertThat(p.get("connections").asInt()).isEqualTo(3);
                assertThat(p.get("users").toString())
                    .isEqualTo(
                        "[{\"user_id\":\"ada\",\"connections\":1},{\"user_id\":\"bob\",\"connections\":2}]");
              });
    }
    try (WsClient a = one.subscribed("ada", channel)) {
      await()
          .atMost(Duration.ofSeconds(5))
          .untilAsserted(
              () -> {
                a.send("{\"type\":\"presence\",\"channel\":\"" + channel + "\"}");
                assertThat(a.next("presence").get("connections").asInt()).isEqualTo(1);
              });
    }
  }

  @Test
  void readinessChecksRedis() throws Exception {
    var ready =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(one.realtime.url() + "/health/ready")).build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(ready.statusCode()).isEqualTo(200);
    assertThat(ready.body()).contains("\"redis\":\"ok\"");
  }

  @Test
  void revocationOnRedisClosesTheSessionsSocketsOnEveryInstanceAndIsNotKept() throws Exception {
    try (WsClient a = one.connectedWith(Rig.token("eve", "s-redis"));
        WsClient b = two.connectedWith(Rig.token("eve", "s-redis"));
        WsClient other = two.connectedWith(Rig.token("eve", "s-else"))) {
      one.ended.add("s-redis");
      two.ended.add("s-redis");
      long start = System.nanoTime();
      apiBus.publish(Revocation.session("s-redis").toEvent());
      assertThat(a.closeCode()).isEqualTo(Connection.REVOKED);
      assertThat(b.closeCode()).isEqualTo(Connection.REVOKED);
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
      other.send("{\"type\":\"ping\"}");
      assertThat(other.next("pong")).isNotNull();
      assertThat(apiBus.history().position(Revocation.CHANNEL).offset())
          .as("never in a stream")
          .isZero();
    }
  }

  @Test
  void storedMessageTakesItsDeltasOutOfTheStreamAndRecoveryReplaysIt() throws Exception {
    String channel = "conversation:mine-redis-stream";
    EventPublisher events = new EventPublisher(apiBus, apiTelemetry.telemetry());
    JsonNode seen =
        seenAtOne(
            channel, () -> events.publishUntraced(channel, Streams.DELTA, delta("m1", 0, "He")));
    events.publishUntraced(channel, Streams.DELTA, delta("m1", 1, "l"));
    events.publishUntraced(channel, Streams.DELTA, delta("m1", 2, "lo"));
    events.publish(
        channel,
        Streams.CREATED,
        Map.of("conversation_id", "x", "message", Map.of("id", "m1", "content", "Hello")));
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> apiBus.history().position(channel).offset() == 4);
    try (WsClient b = two.connected("ada")) {
      b.send(Rig.since(channel, seen));
      JsonNode reply = b.next();
      assertThat(reply.get("recovered").asBoolean()).as(reply.toString()).isTrue();
      JsonNode replayed = b.next("event");
      assertThat(replayed.get("event").asText()).isEqualTo(Streams.CREATED);
      assertThat(replayed.get("offset").asLong()).isEqualTo(4);
      assertThat(b.poll(200)).isNull();
    }
  }

  @Test
  void aChannelsStreamIsBoundedInBytes() throws Exception {
    try (TestTelemetry t = new TestTelemetry("uat-api");
        RedisEventBus small =
            RedisEventBus.connect(redisUrl, t.telemetry(), 1000, Duration.ofMinutes(5), 4096)) {
      String channel = "conversation:mine-redis-big";
      for (int i = 1; i <= 20; i++) {
        small.publish(
            new Event(
                channel,
                "message.created",
                Map.of("t", "x".repeat(1000), "n", i),
                null,
                System.currentTimeMillis()));
      }
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> small.history().position(channel).offset() == 20);
      String epoch = small.history().position(channel).epoch();
      // ~1,080 bytes each: three fit in 4 KiB
      assertThat(small.history().recover(channel, 16, epoch, 1000).recovered()).isFalse();
      var kept = small.history().recover(channel, 17, epoch, 1000);
      assertThat(kept.recovered()).isTrue();
      assertThat(kept.events()).extracting(Publication::offset).containsExactly(18L, 19L, 20L);
    }
  }

  private static Map<String, Object> delta(String message, int index, String text) {
    return Map.of("conversation_id", "x", "message_id", message, "delta", text, "index", index);
  }
}
