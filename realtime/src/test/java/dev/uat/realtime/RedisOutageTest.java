package dev.uat.realtime;

import static dev.uat.realtime.RedisFaults.awaitFanOut;
import static dev.uat.realtime.RedisFaults.events;
import static dev.uat.realtime.RedisFaults.failures;
import static dev.uat.realtime.RedisFaults.threads;
import static dev.uat.realtime.RedisFaults.unnumbered;
import static dev.uat.realtime.RedisFaults.withN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.events.Event;
import dev.uat.events.EventPublisher;
import dev.uat.events.HttpEventBus;
import dev.uat.telemetry.Telemetry;
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
  private RedisEventBus oneBus;

  /** An api-side bus that hands what Redis does not take to instance one over HTTP. */
  private RedisEventBus failingOver;

  private Rig one;
  private Rig two;

  private void start(boolean persistent) throws Exception {
    redis = EmbeddedRedis.started(persistent ? dir : null);
    url = "redis://127.0.0.1:" + redis.ports().getFirst();
    apiTelemetry = new TestTelemetry("uat-api");
    oneBusTelemetry = new TestTelemetry("uat-realtime");
    apiBus = RedisEventBus.connect(url, apiTelemetry.telemetry());
    // the test clients do not answer pings: none is due while the test runs
    oneBus = RedisEventBus.connect(url, oneBusTelemetry.telemetry());
    one =
        new Rig(
            s -> s.pingInterval(Duration.ofMinutes(5)),
            RealtimeEvents.redis(oneBus),
            "uat-realtime");
    two =
        new Rig(
            s -> s.pingInterval(Duration.ofMinutes(5)),
            RealtimeEvents.connect(url, Telemetry.noop("uat-realtime")),
            "uat-realtime");
    failingOver = RedisEventBus.connect(url, Telemetry.noop("uat-api"));
    failingOver.failOverTo(
        new HttpEventBus(Telemetry.noop("uat-api"), one.realtime.url(), Rig.ISSUER, true));
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c :
        new AutoCloseable[] {one, two, apiBus, failingOver, apiTelemetry, oneBusTelemetry}) {
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
      // once the instance has seen its connection close (its readiness fails at once then)
      await()
          .atMost(Duration.ofSeconds(5))
          .pollInterval(Duration.ofMillis(20))
          .until(() -> !oneBus.connected() && !apiBus.connected() && !failingOver.connected());

      // (1) publishing neither blocks nor queues: it returns at once, and with the connection
      // down every publication fails at once (it is not queued for Redis's return), counted
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
      await()
          .atMost(Duration.ofSeconds(3))
          .untilAsserted(() -> assertThat(failures(apiTelemetry)).isEqualTo(1 + flood));

      // the instance it was published on serves its own subscribers: unnumbered (in no history),
      // at once; the other instance, and the api's publications, reach no one
      JsonNode local = withN(a, 2);
      assertThat(Duration.ofNanos(System.nanoTime() - start))
          .as("delivered here without waiting for Redis")
          .isLessThan(Duration.ofSeconds(3));
      assertThat(local.get("offset").asLong()).as(local.toString()).isZero();
      assertThat(local.get("epoch").asText()).isEmpty();
      assertThat(unnumbered(one.otel)).isEqualTo(1);
      // an api told where a realtime instance is (realtime-url beside redis-url) posts what Redis
      // did not take there: that instance's subscribers get it, unnumbered too
      new EventPublisher(failingOver, Telemetry.noop("uat-api"))
          .publish(channel, "message.created", Map.of("n", 4));
      JsonNode posted = withN(a, 4);
      assertThat(posted.get("offset").asLong()).as(posted.toString()).isZero();
      assertThat(unnumbered(one.otel)).isEqualTo(2);

      // meanwhile the instances answer their clients, with `unavailable` where Redis is needed
      idle.send(Rig.since(channel, seen));
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
      // asked once idle's subscription has given up (while it waits for Redis it is a member)
      a.send("{\"type\":\"presence\",\"channel\":\"" + channel + "\"}");
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

      // the posted one was handed to the subscribers directly, not published through Redis
      assertThat(failures(oneBusTelemetry)).isEqualTo(1);
      busLog.detachAppender(logged);
      assertThat(logged.list)
          .as("10,103 failures, in a line every 10 s at most per bus")
          .hasSizeBetween(1, 6)
          .allMatch(e -> e.getFormattedMessage().contains("since the last such line"));
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
