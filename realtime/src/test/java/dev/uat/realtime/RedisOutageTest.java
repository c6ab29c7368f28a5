package dev.uat.realtime;

import static dev.uat.realtime.RedisFaults.awaitFanOut;
import static dev.uat.realtime.RedisFaults.events;
import static dev.uat.realtime.RedisFaults.failures;
import static dev.uat.realtime.RedisFaults.threads;
import static dev.uat.realtime.RedisFaults.withN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.events.Event;
import dev.uat.events.EventPublisher;
import dev.uat.telemetry.TestTelemetry;
import dev.uat.web.WsClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import redis.embedded.RedisServer;

/**
 * Redis stops under two realtime instances (and an api-side publisher) and comes back on the same
 * port (docs/reliability.md, "Redis stops"): what a publisher, a subscriber and a client that comes
 * back see, and that the instances reconnect by themselves. Each test has a Redis of its own (it
 * stops it), kept on disk (an append-only file) or not.
 */
@Timeout(60)
class RedisOutageTest {
  /** How long a command waits for a Redis that is away (RedisEventBus: the URI's 5 s). */
  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(5);

  private final Logger busLog = (Logger) LoggerFactory.getLogger(RedisEventBus.class);

  @TempDir Path dir;

  private RedisServer redis;
  private String url;
  private TestTelemetry apiTelemetry;
  private TestTelemetry oneBusTelemetry;
  private RedisEventBus apiBus;
  private Rig one;
  private Rig two;

  private void start(boolean persistent) throws Exception {
    redis = EmbeddedRedis.started(persistent ? dir : null);
    url = "redis://127.0.0.1:" + redis.ports().getFirst();
    apiTelemetry = new TestTelemetry("uat-api");
    oneBusTelemetry = new TestTelemetry("uat-realtime");
    apiBus = RedisEventBus.connect(url, apiTelemetry.telemetry());
    // the test clients do not answer pings: none is due while the test runs
    one =
        new Rig(
            s -> s.pingInterval(Duration.ofMinutes(5)),
            RealtimeEvents.redis(RedisEventBus.connect(url, oneBusTelemetry.telemetry())),
            "uat-realtime");
    two =
        new Rig(
            s -> s.pingInterval(Duration.ofMinutes(5)),
            RealtimeEvents.connect(url, dev.uat.telemetry.Telemetry.noop("uat-realtime")),
            "uat-realtime");
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : new AutoCloseable[] {one, two, apiBus, apiTelemetry, oneBusTelemetry}) {
      if (c != null) {
        c.close();
      }
    }
    if (redis != null) {
      redis.stop();
    }
  }

  @Test
  void publishingOnADownRedisFailsWithinTheTimeoutAndFanOutResumesWhenItReturns() throws Exception {
    start(true);
    String channel = "conversation:mine-outage";
    EventPublisher api = new EventPublisher(apiBus, apiTelemetry.telemetry());
    try (WsClient a = one.subscribed("ada", channel);
        WsClient b = two.subscribed("bob", channel);
        WsClient idle = one.connected("ada")) {
      one.publisher().publish(channel, "message.created", Map.of("n", 1));
      JsonNode seen = withN(b, 1);
      assertThat(withN(a, 1)).isEqualTo(seen);
      List<String> before = threads();
      ListAppender<ILoggingEvent> logged = new ListAppender<>();
      logged.start();
      busLog.addAppender(logged);

      redis.stop();

      // (1) publishing neither blocks nor queues without bound: it returns at once; past
      // Lettuce's 10,000 queued commands the rest fail at once, and the queued ones when their
      // 5 s timeout passes, every one counted
      long start = System.nanoTime();
      one.publisher().publish(channel, "message.created", Map.of("n", 2));
      api.publish(channel, "message.created", Map.of("n", 3));
      int flood = 10_100;
      for (int i = 0; i < flood; i++) {
        apiBus.publish(
            new Event(
                channel, "message.created", Map.of("flood", i), null, System.currentTimeMillis()));
      }
      assertThat(Duration.ofNanos(System.nanoTime() - start))
          .as("10,102 publications on a down Redis")
          .isLessThan(Duration.ofSeconds(3));
      assertThat(failures(apiTelemetry))
          .as("refused at once: 10,000 wait already")
          .isGreaterThanOrEqualTo(flood + 1 - 10_000);

      // meanwhile the instances answer their clients, with `unavailable` where Redis is needed
      idle.send(Rig.since(channel, seen));
      a.send("{\"type\":\"presence\",\"channel\":\"" + channel + "\"}");
      WsClient late = WsClient.open(one.ws);
      late.send("{\"type\":\"connect\",\"token\":\"" + Rig.token("cy") + "\"}");
      CompletableFuture<HttpResponse<String>> ready =
          HttpClient.newHttpClient()
              .sendAsync(
                  HttpRequest.newBuilder(URI.create(one.realtime.url() + "/health/ready")).build(),
                  HttpResponse.BodyHandlers.ofString());

      JsonNode refused = idle.next();
      assertThat(refused.get("code").asText()).as(refused.toString()).isEqualTo("unavailable");
      idle.send("{\"type\":\"ping\"}");
      assertThat(idle.next().get("type").asText()).isEqualTo("pong");
      JsonNode presence = a.next("presence");
      assertThat(presence.get("users").toString())
          .as("this instance's subscribers alone")
          .isEqualTo("[{\"user_id\":\"ada\",\"connections\":1}]");
      JsonNode lateReply = late.next();
      assertThat(lateReply.get("code").asText()).as(lateReply.toString()).isEqualTo("unavailable");
      assertThat(late.closeCode()).isEqualTo(Connection.UNAVAILABLE);
      late.close();
      HttpResponse<String> readiness = ready.get(10, TimeUnit.SECONDS);
      assertThat(readiness.statusCode()).isEqualTo(503);
      assertThat(readiness.body()).contains("\"redis\"");

      await()
          .atMost(COMMAND_TIMEOUT.plusSeconds(5))
          .untilAsserted(
              () -> {
                assertThat(failures(oneBusTelemetry)).isEqualTo(1);
                assertThat(failures(apiTelemetry)).isEqualTo(1 + flood);
              });
      busLog.detachAppender(logged);
      assertThat(logged.list)
          .as("10,102 failures, in a line every 10 s at most per bus")
          .hasSizeBetween(1, 4)
          .allMatch(e -> e.getFormattedMessage().contains("since the last such line"));
      // numbering is Redis's: an instance does not deliver what is published on it while Redis
      // is down, not even to its own subscribers
      assertThat(events(a)).isEmpty();
      assertThat(events(b)).isEmpty();

      // (2) Redis returns on the same port: fan-out resumes by itself, both ways
      redis.start();
      AtomicInteger probes = new AtomicInteger();
      awaitFanOut(one, channel, b, probes, new ArrayList<>());
      awaitFanOut(two, channel, a, probes, new ArrayList<>());
      api.publish(channel, "message.created", Map.of("n", 5));
      JsonNode fifth = withN(a, 5);
      assertThat(withN(b, 5)).isEqualTo(fifth);
      assertThat(fifth.get("epoch")).as("Redis kept its data").isEqualTo(seen.get("epoch"));

      // (3) a client that saw event 1 recovers everything numbered since, on either instance:
      // what was published while Redis was down never was numbered, so it is not among them
      try (WsClient back = two.connected("ada")) {
        back.send(Rig.since(channel, seen));
        JsonNode reply = back.next();
        assertThat(reply.get("recovered").asBoolean()).as(reply.toString()).isTrue();
        // a probe still on its way when n=5 was published may be numbered after it
        long last = reply.get("offset").asLong();
        assertThat(last).isGreaterThanOrEqualTo(fifth.get("offset").asLong());
        List<JsonNode> replayed = new ArrayList<>();
        for (long o = 2; o <= last; o++) {
          JsonNode e = back.next("event");
          assertThat(e.get("offset").asLong()).isEqualTo(o);
          replayed.add(e.get("data"));
        }
        assertThat(replayed.stream().filter(d -> !d.has("probe")).map(d -> d.get("n")).toList())
            .as("probes only, the events of the outage are gone")
            .containsExactly(fifth.get("data").get("n"));
        assertThat(back.poll(200)).isNull();
      }

      // (4) no thread left behind: besides Lettuce's fixed pools (started lazily, by the first
      // reconnection), no new thread; and a second outage adds none at all
      List<String> afterFirst = threads();
      assertThat(afterFirst.stream().filter(n -> !n.startsWith("lettuce-")).count())
          .as(afterFirst + " after, before: " + before)
          .isLessThanOrEqualTo(before.stream().filter(n -> !n.startsWith("lettuce-")).count());
      redis.stop();
      redis.start();
      awaitFanOut(one, channel, b, probes, new ArrayList<>());
      awaitFanOut(two, channel, a, probes, new ArrayList<>());
      List<String> afterSecond = threads();
      assertThat(afterSecond.size())
          .as(afterSecond + " after the second outage, after the first: " + afterFirst)
          .isLessThanOrEqualTo(afterFirst.size());
    }
  }

  @Test
  void redisRestartedEmptyStartsANewEpochAndRecoveryAsksForAReload() throws Exception {
    start(false);
    String channel = "conversation:mine-emptied";
    try (WsClient a = one.subscribed("ada", channel);
        WsClient b = two.subscribed("bob", channel)) {
      one.publisher().publish(channel, "message.created", Map.of("n", 1));
      JsonNode seen = withN(b, 1);
      withN(a, 1);

      redis.stop();
      redis.start();
      AtomicInteger probes = new AtomicInteger();
      awaitFanOut(one, channel, b, probes, new ArrayList<>());

      // a client still connected reads the new epoch in the events themselves
      new EventPublisher(apiBus, apiTelemetry.telemetry())
          .publish(channel, "message.created", Map.of("n", 2));
      JsonNode live = withN(b, 2);
      assertThat(live.get("epoch")).isNotEqualTo(seen.get("epoch"));

      // a client that comes back is told to reload: the stream it would recover from is gone
      try (WsClient back = one.connected("ada")) {
        back.send(Rig.since(channel, seen));
        JsonNode reply = back.next();
        assertThat(reply.get("recovered").asBoolean()).as(reply.toString()).isFalse();
        assertThat(reply.get("epoch")).isEqualTo(live.get("epoch"));
        assertThat(reply.get("offset")).isEqualTo(live.get("offset"));
        assertThat(back.poll(200)).isNull();
      }
    }
  }
}
