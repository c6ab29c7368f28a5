package dev.uat.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Usage records: written off the request path by the router, read back from the store. Subclasses
 * choose the database: the same tests run on the H2 file default and on PostgreSQL.
 */
@Timeout(60)
abstract class AbstractUsageTest {
  @TempDir Path dataDir;
  @RegisterExtension final RouterFixture fixture = new RouterFixture();
  final FakeUpstream ollama = fixture.ollama("Hi there!");
  Router router;

  /** The settings' database. */
  abstract RouterSettings database(RouterSettings settings);

  @BeforeEach
  void start() throws Exception {
    router =
        fixture.start(
            database(
                RouterFixture.settings()
                    .provider("ollama")
                    .ollamaUrl(ollama.url())
                    .dataDir(dataDir)
                    .build())
                .toBuilder());
  }

  private List<UsageRecord> awaitRecords(String user, int n) {
    return await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> router.usageStore().recent(user, 100), r -> r.size() >= n);
  }

  @Test
  void chatIsRecordedWithTokensDeploymentLatencyAndTraceId() throws Exception {
    var response = Http.post(router.url() + "/v1/chat/completions", Http.chat("llama3.2", "Hi"));
    assertThat(response.statusCode()).isEqualTo(200);

    UsageRecord r = awaitRecords("user-1", 1).getFirst();

    assertThat(r.operation()).isEqualTo("chat");
    assertThat(r.keyId()).isNull();
    assertThat(r.requestedModel()).isEqualTo("llama3.2");
    assertThat(r.model()).isEqualTo("llama3.2:latest");
    assertThat(r.provider()).isEqualTo("ollama");
    assertThat(r.inputTokens()).isEqualTo(26);
    assertThat(r.outputTokens()).isEqualTo(298);
    assertThat(r.tokensEstimated()).isFalse();
    assertThat(r.cacheHit()).isFalse();
    assertThat(r.status()).isEqualTo("ok");
    assertThat(r.latencyMillis()).isBetween(0, 10_000);
    assertThat(r.at()).isBetween(Instant.now().minusSeconds(30), Instant.now().plusSeconds(1));
    assertThat(r.traceId()).isEqualTo(response.headers().firstValue("X-Trace-Id").orElseThrow());
  }

  @Test
  void cacheHitsAndFailuresAreRecordedToo() throws Exception {
    Http.post(router.url() + "/v1/chat/completions", Http.chat("llama3.2", "Hi"));
    Http.post(router.url() + "/v1/chat/completions", Http.chat("llama3.2", "Hi"));
    ollama.on("/api/chat", 500, "{\"error\":\"boom\"}");
    Http.post(router.url() + "/v1/chat/completions", Http.chat("llama3.2", "Other"));

    List<UsageRecord> records = awaitRecords("user-1", 3);

    assertThat(records)
        .extracting(UsageRecord::status, UsageRecord::cacheHit)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple("ok", false),
            org.assertj.core.groups.Tuple.tuple("ok", true),
            org.assertj.core.groups.Tuple.tuple("upstream_error", false));
    long[] totals = router.usageStore().totals(null, "user-1", Instant.now().minusSeconds(60));
    assertThat(totals).containsExactly(52, 596, 3);
  }

  @Test
  void writesAreTracedApartAndLinkedToTheirRequests() throws Exception {
    var response = Http.post(router.url() + "/v1/chat/completions", Http.chat("llama3.2", "Hi"));
    awaitRecords("user-1", 1);

    SpanData write =
        await()
            .atMost(Duration.ofSeconds(5))
            .until(
                () ->
                    fixture.otel.spans().stream()
                        .filter(s -> s.getName().equals("write usage"))
                        .findFirst()
                        .orElse(null),
                s -> s != null);
    String requestTrace = response.headers().firstValue("X-Trace-Id").orElseThrow();
    assertThat(write.getTraceId()).isNotEqualTo(requestTrace);
    assertThat(write.getLinks())
        .anySatisfy(l -> assertThat(l.getSpanContext().getTraceId()).isEqualTo(requestTrace));
    assertThat(fixture.otel.spans())
        .filteredOn(s -> s.getParentSpanId().equals(write.getSpanId()))
        .anySatisfy(
            s -> {
              assertThat(s.getKind()).isEqualTo(SpanKind.CLIENT);
              assertThat(s.getAttributes().get(AttributeKey.stringKey("db.system.name")))
                  .isNotNull();
            });
  }

  @Test
  void storeContractWriteReadAndTotalsByKey() throws Exception {
    UsageStore store = router.usageStore();
    Instant t = Instant.parse("2026-01-02T03:04:05Z");
    store.write(
        List.of(
            new UsageRecord(
                t,
                "chat",
                "key-1",
                "user-9",
                "fast",
                "m",
                "p",
                10,
                5,
                true,
                12,
                false,
                "ok",
                "0af7651916cd43dd8448eb211c80319c"),
            new UsageRecord(
                t.plusSeconds(1),
                "embeddings",
                "key-1",
                "user-9",
                "emb",
                "e",
                "p",
                7,
                0,
                false,
                3,
                false,
                "ok",
                null),
            new UsageRecord(
                t.plusSeconds(2),
                "chat",
                null,
                "user-9",
                "fast",
                null,
                null,
                0,
                0,
                false,
                1,
                false,
                "circuit_open",
                null)));

    List<UsageRecord> recent = store.recent("user-9", 10);
    assertThat(recent).extracting(UsageRecord::status).containsExactly("circuit_open", "ok", "ok");
    assertThat(recent.get(2).tokensEstimated()).isTrue();
    assertThat(recent.get(2).traceId()).isEqualTo("0af7651916cd43dd8448eb211c80319c");
    assertThat(recent.get(2).at()).isEqualTo(t);
    assertThat(store.totals("key-1", "user-9", t)).containsExactly(17, 5, 2);
    assertThat(store.totals(null, "user-9", t)).containsExactly(0, 0, 1);
    assertThat(store.totals("key-1", "user-9", t.plusSeconds(60))).containsExactly(0, 0, 0);
  }

  @Test
  void aFullQueueDropsAndCountsWithoutBlockingTheCaller() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch writing = new CountDownLatch(1);
    UsageStore blocked =
        new UsageStore() {
          @Override
          public void write(List<UsageRecord> batch) throws Exception {
            writing.countDown();
            release.await(10, TimeUnit.SECONDS);
          }

          @Override
          public List<UsageRecord> recent(String userId, int limit) {
            return List.of();
          }

          @Override
          public long[] totals(String keyId, String userId, Instant since) {
            return new long[3];
          }

          @Override
          public void check() {}

          @Override
          public void close() {}
        };
    RouterMetrics metrics = new RouterMetrics(fixture.otel.telemetry());
    UsageRecord r =
        new UsageRecord(
            Instant.now(), "chat", null, "u", "m", null, null, 0, 0, false, 0, false, "ok", null);
    try (UsageRecorder recorder =
        new UsageRecorder(
            blocked, metrics, fixture.otel.telemetry(), 2 * UsageRecorder.weight(r))) {
      recorder.record(r);
      assertThat(writing.await(5, TimeUnit.SECONDS)).isTrue(); // the writer holds one batch
      long t0 = System.nanoTime();
      for (int i = 0; i < 5; i++) {
        recorder.record(r); // two fit in the queue, three are dropped
      }
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(1));
      release.countDown();
    }
    assertThat(fixture.otel.metric("uat.router.usage.records").getLongSumData().getPoints())
        .anySatisfy(
            p -> {
              assertThat(p.getAttributes().get(AttributeKey.stringKey("uat.router.usage.outcome")))
                  .isEqualTo("dropped");
              assertThat(p.getValue()).isEqualTo(3);
            });
  }

  @Test
  void recordsOfOneMomentAreWrittenInOneTransaction() throws Exception {
    List<Integer> batches = new java.util.concurrent.CopyOnWriteArrayList<>();
    UsageStore counting =
        new UsageStore() {
          @Override
          public void write(List<UsageRecord> batch) {
            batches.add(batch.size());
          }

          @Override
          public List<UsageRecord> recent(String userId, int limit) {
            return List.of();
          }

          @Override
          public long[] totals(String keyId, String userId, Instant since) {
            return new long[3];
          }

          @Override
          public void check() {}

          @Override
          public void close() {}
        };
    UsageRecord r =
        new UsageRecord(
            Instant.now(), "chat", null, "u", "m", null, null, 0, 0, false, 0, false, "ok", null);
    RouterMetrics metrics = new RouterMetrics(fixture.otel.telemetry());
    // a linger longer than the test: the batch is written when the recorder closes, whole
    try (UsageRecorder recorder =
        new UsageRecorder(
            counting,
            metrics,
            fixture.otel.telemetry(),
            UsageRecorder.MAX_BYTES,
            Duration.ofMinutes(10))) {
      for (int i = 0; i < 3; i++) {
        recorder.record(r);
      }
    }
    assertThat(batches).containsExactly(3);
  }
}
