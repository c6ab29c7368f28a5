package dev.uat.realtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.telemetry.TestTelemetry;
import dev.uat.web.WsClient;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** What the Redis fault tests ({@link RedisOutageTest}, {@link RedisHangTest}) look at. */
final class RedisFaults {
  /** The counter of publications that did not reach Redis. */
  static final String FAILED = "uat.events.publish.failed";

  /**
   * How soon fan-out resumes once Redis answers again (docs/reliability.md §4; Lettuce's
   * reconnection backoff is capped at 30 s).
   */
  static final Duration RESUMES_WITHIN = Duration.ofSeconds(30);

  private RedisFaults() {}

  /**
   * Waits at most {@link #RESUMES_WITHIN} until a probe published on {@code from}'s bus reaches
   * {@code to}: fan-out from one instance to the other has resumed. The other events {@code to}
   * receives meanwhile go to {@code others}.
   */
  static void awaitFanOut(
      Rig from, String channel, WsClient to, AtomicInteger probes, List<JsonNode> others) {
    await()
        .atMost(RESUMES_WITHIN)
        .pollInterval(Duration.ofMillis(250))
        .until(() -> crosses(from, channel, to, probes, others));
  }

  /**
   * Publishes a probe on {@code from}'s bus; whether any probe reached {@code to} within 500 ms (a
   * probe published while Redis is still away may arrive later, when Lettuce replays it).
   */
  private static boolean crosses(
      Rig from, String channel, WsClient to, AtomicInteger probes, List<JsonNode> others)
      throws Exception {
    from.publisher().publish(channel, "message.created", Map.of("probe", probes.getAndIncrement()));
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
    JsonNode f;
    while ((f = to.poll(Math.max(1, (deadline - System.nanoTime()) / 1_000_000))) != null) {
      if (f.path("type").asText().equals("event")) {
        if (f.at("/data").has("probe")) {
          return true;
        }
        others.add(f);
      }
    }
    return false;
  }

  /** The next event whose data has {@code n}, skipping probes; fails after 10 s. */
  static JsonNode withN(WsClient c, int n) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      JsonNode e = c.next("event");
      if (e.at("/data/n").asInt(-1) == n) {
        return e;
      }
      assertThat(e.at("/data").has("probe")).as("unexpected " + e).isTrue();
    }
    throw new AssertionError("no event n=" + n);
  }

  /** The events queued for {@code c} now. */
  static List<JsonNode> events(WsClient c) throws InterruptedException {
    List<JsonNode> out = new ArrayList<>();
    JsonNode f;
    while ((f = c.poll(0)) != null) {
      if (f.path("type").asText().equals("event")) {
        out.add(f);
      }
    }
    return out;
  }

  /** The publications {@code t}'s bus counted failed. */
  static long failures(TestTelemetry t) {
    return count(t, FAILED);
  }

  /** The events {@code t}'s realtime hub delivered unnumbered (Redis did not take them). */
  static long unnumbered(TestTelemetry t) {
    return count(t, "uat.realtime.events.unnumbered");
  }

  private static long count(TestTelemetry t, String counter) {
    return t.metrics().stream()
        .filter(m -> m.getName().equals(counter))
        .flatMap(m -> m.getLongSumData().getPoints().stream())
        .mapToLong(LongPointData::getValue)
        .sum();
  }

  /**
   * The names of this JVM's live threads but the test's own: its clients' (an HttpClient each),
   * Awaitility's, the embedded Redis's process readers.
   */
  static List<String> threads() {
    return Thread.getAllStackTraces().keySet().stream()
        .map(Thread::getName)
        .filter(
            n ->
                !n.startsWith("HttpClient-")
                    && !n.startsWith("awaitility")
                    && !n.matches("Thread-\\d+")
                    && !n.startsWith("process reaper"))
        .sorted()
        .toList();
  }
}
