package dev.uat.realtime;

import static dev.uat.realtime.RedisFaults.RESUMES_WITHIN;
import static dev.uat.realtime.RedisFaults.awaitFanOut;
import static dev.uat.realtime.RedisFaults.events;
import static dev.uat.realtime.RedisFaults.failures;
import static dev.uat.realtime.RedisFaults.threads;
import static dev.uat.realtime.RedisFaults.unnumbered;
import static dev.uat.realtime.RedisFaults.withN;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.events.Event;
import dev.uat.events.EventPublisher;
import dev.uat.telemetry.TestTelemetry;
import dev.uat.web.FrozenProcess;
import dev.uat.web.WsClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.embedded.RedisServer;

/**
 * Redis hangs under two realtime instances (and an api-side publisher): it accepts connections and
 * bytes but answers nothing (frozen with SIGSTOP), then answers again (SIGCONT)
 * (docs/reliability.md, "Redis stops"). Unlike a stopped Redis, no connection breaks, so Lettuce
 * neither notices nor reconnects: only the command timeout bounds the wait.
 */
@Timeout(60)
class RedisHangTest {
  /** How long a command waits for a Redis that does not answer (RedisEventBus: the URI's 5 s). */
  private static final Duration COMMAND_TIMEOUT = RedisEventBus.COMMAND_TIMEOUT;

  /** What a loaded machine adds to a documented bound. */
  private static final Duration SLACK = Duration.ofMillis(1_500);

  private RedisServer server;
  private FrozenProcess redis;
  private TestTelemetry apiTelemetry;
  private TestTelemetry oneBusTelemetry;
  private RedisEventBus apiBus;
  private Rig one;
  private Rig two;

  @BeforeEach
  void start() throws Exception {
    server = EmbeddedRedis.started();
    int port = server.ports().getFirst();
    redis = FrozenProcess.find("redis-server", port);
    String url = "redis://127.0.0.1:" + port;
    apiTelemetry = new TestTelemetry("uat-api");
    oneBusTelemetry = new TestTelemetry("uat-realtime");
    apiBus = RedisEventBus.connect(url, apiTelemetry.telemetry());
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
    if (redis != null) {
      redis.close(); // thawed first: closing a client waits for its connection
    }
    for (AutoCloseable c : new AutoCloseable[] {one, two, apiBus, apiTelemetry, oneBusTelemetry}) {
      if (c != null) {
        c.close();
      }
    }
    if (server != null) {
      server.stop();
    }
  }

  @Test
  void aHangingRedisFailsPublicationsWithinTheTimeoutNeverDeliversThemAndFanOutResumes()
      throws Exception {
    String channel = "conversation:mine-hang";
    EventPublisher api = new EventPublisher(apiBus, apiTelemetry.telemetry());
    try (WsClient a = one.subscribed("ada", channel);
        WsClient b = two.subscribed("bob", channel);
        WsClient idle = one.connected("ada")) {
      one.publisher().publish(channel, "message.created", Map.of("n", 1));
      JsonNode seen = withN(b, 1);
      assertThat(withN(a, 1)).isEqualTo(seen);
      List<String> before = threads();

      redis.freeze();

      // (1) publishers are not held: publish returns at once, whatever Redis does
      long published = System.nanoTime();
      one.publisher().publish(channel, "message.created", Map.of("n", 2));
      api.publish(channel, "message.created", Map.of("n", 3));
      int flood = 10_100;
      for (int i = 0; i < flood; i++) {
        apiBus.publish(
            new Event(
                "conversation:mine-flood",
                "message.created",
                Map.of("flood", i),
                null,
                System.currentTimeMillis()));
      }
      long lastPublished = System.nanoTime();
      assertThat(Duration.ofNanos(lastPublished - published))
          .as("10,102 publications on a hanging Redis")
          .isLessThan(Duration.ofSeconds(3));

      // (2) meanwhile: open sockets answer at once where Redis is not needed, and within the
      // command timeout where it is
      long asked = System.nanoTime();
      CompletableFuture<Long> readyAfter = new CompletableFuture<>();
      CompletableFuture<HttpResponse<String>> ready =
          HttpClient.newHttpClient()
              .sendAsync(
                  HttpRequest.newBuilder(URI.create(one.realtime.url() + "/health/ready")).build(),
                  HttpResponse.BodyHandlers.ofString())
              .whenComplete((r, e) -> readyAfter.complete(ms(asked)));
      WsClient late = WsClient.open(one.ws);
      late.send("{\"type\":\"connect\",\"token\":\"" + Rig.token("cy") + "\"}");
      idle.send(Rig.since(channel, seen));
      for (WsClient c : List.of(a, b)) {
        long t = System.nanoTime();
        c.send("{\"type\":\"ping\"}");
        assertThat(c.next().get("type").asText()).isEqualTo("pong");
        assertThat(ms(t)).as("pong while Redis hangs").isLessThan(1_000);
      }

      await()
          .atMost(COMMAND_TIMEOUT.plus(SLACK))
          .pollInterval(Duration.ofMillis(50))
          .untilAsserted(
              () -> {
                assertThat(failures(oneBusTelemetry)).isEqualTo(1);
                assertThat(failures(apiTelemetry)).isEqualTo(1 + flood);
              });
      assertThat(ms(lastPublished))
          .as("every publication counted failed within the timeout of the last")
          .isLessThan(COMMAND_TIMEOUT.plus(SLACK).toMillis());

      JsonNode refused = idle.next();
      assertThat(refused.get("code").asText()).as(refused.toString()).isEqualTo("unavailable");
      assertThat(ms(asked)).isLessThan(COMMAND_TIMEOUT.plus(SLACK).toMillis());
      idle.send("{\"type\":\"ping\"}");
      assertThat(idle.next().get("type").asText()).isEqualTo("pong");
      JsonNode lateReply = late.next();
      assertThat(lateReply.get("code").asText()).as(lateReply.toString()).isEqualTo("unavailable");
      assertThat(late.closeCode()).isEqualTo(Connection.UNAVAILABLE);
      late.close();
      HttpResponse<String> readiness = ready.get(COMMAND_TIMEOUT.plus(SLACK).toSeconds(), SECONDS);
      assertThat(readiness.statusCode()).isEqualTo(503);
      assertThat(readiness.body()).contains("\"redis\"").contains("timed out");
      assertThat(readyAfter.get()).isLessThan(COMMAND_TIMEOUT.plus(SLACK).toMillis());
      // what was published on an instance reaches its own subscribers once it failed,
      // unnumbered; nothing reaches the other instance
      JsonNode local = withN(a, 2);
      assertThat(local.get("offset").asLong()).as(local.toString()).isZero();
      assertThat(unnumbered(one.otel)).isEqualTo(1);
      assertThat(events(a)).isEmpty();
      assertThat(events(b)).isEmpty();

      // no thread per waiting command or connection: the only new ones are Lettuce's fixed
      // computation pools, which the first timeout starts
      List<String> during = new ArrayList<>(threads());
      before.forEach(during::remove);
      assertThat(during).allMatch(n -> n.startsWith("lettuce-eventExecutorLoop-"), "Lettuce's");

      // (3) Redis answers again: the connections never broke, fan-out resumes at once; what it
      // was sent meanwhile runs now, and every publication counted failed is refused (too late):
      // delivered nowhere, in no stream
      redis.thaw();
      long thawed = System.nanoTime();
      AtomicInteger probes = new AtomicInteger();
      List<JsonNode> others = new ArrayList<>();
      awaitFanOut(one, channel, b, probes, others);
      awaitFanOut(two, channel, a, probes, others);
      assertThat(ms(thawed)).as("fan-out resumed").isLessThan(RESUMES_WITHIN.toMillis());
      api.publish(channel, "message.created", Map.of("n", 5));
      JsonNode fifth = withN(a, 5);
      assertThat(withN(b, 5)).isEqualTo(fifth);
      assertThat(fifth.get("epoch")).isEqualTo(seen.get("epoch"));
      // (a probe still on its way from another connection may come after n=5)
      others.addAll(events(a).stream().filter(e -> !e.at("/data").has("probe")).toList());
      others.addAll(events(b).stream().filter(e -> !e.at("/data").has("probe")).toList());
      assertThat(others).as("events published while Redis hung").isEmpty();
      assertThat(failures(apiTelemetry)).as("no more failures").isEqualTo(1 + flood);

      // (4) a client that saw event 1 recovers everything numbered since: probes only
      try (WsClient back = two.connected("ada")) {
        back.send(Rig.since(channel, seen));
        JsonNode reply = back.next();
        assertThat(reply.get("recovered").asBoolean()).as(reply.toString()).isTrue();
        // a probe still on its way when n=5 was published may be numbered after it
        long last = reply.get("offset").asLong();
        assertThat(last).isGreaterThanOrEqualTo(fifth.get("offset").asLong());
        List<JsonNode> replayed = new ArrayList<>();
        for (long o = seen.get("offset").asLong() + 1; o <= last; o++) {
          JsonNode e = back.next("event");
          assertThat(e.get("offset").asLong()).isEqualTo(o);
          replayed.add(e.get("data"));
        }
        assertThat(replayed.stream().filter(d -> !d.has("probe")).map(d -> d.get("n")).toList())
            .as("probes only: what was published while Redis hung was never numbered")
            .containsExactly(fifth.get("data").get("n"));
        assertThat(back.poll(200)).isNull();
      }
    }
  }

  private static long ms(long since) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - since);
  }

  @Test
  void whatWaitsForAHangingRedisIsBoundedInBytes() throws Exception {
    redis.freeze();
    String text = "x".repeat(300_000); // charged about 0.9 MB each (3 bytes per character)
    long fit = RedisEventBus.MAX_PENDING_BYTES / (3L * text.length()); // at most this many wait
    int sent = (int) fit * 2;

    long start = System.nanoTime();
    publishLarge(sent, text);

    // past the budget they fail at once, long before the command timeout
    await().atMost(Duration.ofSeconds(2)).until(() -> failures(apiTelemetry) >= sent - fit);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(COMMAND_TIMEOUT);
    // the ones that waited fail at the timeout and give their bytes back
    await()
        .atMost(COMMAND_TIMEOUT.plus(SLACK).plus(SLACK))
        .until(() -> failures(apiTelemetry) == sent);
    publishLarge((int) fit - 1, text);
    Thread.sleep(1_000);
    assertThat(failures(apiTelemetry)).as("within the budget again: they wait").isEqualTo(sent);
  }

  private void publishLarge(int count, String text) {
    for (int i = 0; i < count; i++) {
      apiBus.publish(
          new Event(
              "conversation:big",
              "message.created",
              Map.of("text", text, "n", i),
              null,
              System.currentTimeMillis()));
    }
  }
}
