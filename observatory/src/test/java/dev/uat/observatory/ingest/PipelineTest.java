package dev.uat.observatory.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.uat.observatory.model.Span;
import dev.uat.observatory.otlp.OtlpHttpReceiver;
import dev.uat.observatory.store.InMemoryStorage;
import dev.uat.observatory.store.SpanConsumer;
import dev.uat.observatory.store.SpanStore;
import dev.uat.observatory.store.Storage;
import dev.uat.observatory.testing.OtlpProtoEncoder;
import dev.uat.observatory.testing.SyntheticTraces;
import dev.uat.telemetry.TestTelemetry;
import dev.uat.web.Json;
import dev.uat.web.Service;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Self-protection: refusing senders when busy or closed, dropping (and counting) derived work. */
@Timeout(60)
class PipelineTest {
  private final HttpClient client = HttpClient.newHttpClient();
  private final TestTelemetry own = new TestTelemetry("uat-observatory");
  private final InMemoryStorage memory = new InMemoryStorage(64 << 20);
  private final CountDownLatch release = new CountDownLatch(1);
  private final CountDownLatch entered = new CountDownLatch(1);
  private Pipeline pipeline;
  private Service service;

  /** A storage whose writes wait for {@link #release}. */
  private final Storage blocking =
      new Storage() {
        @Override
        public SpanConsumer spanConsumer() {
          return spans -> {
            entered.countDown();
            try {
              release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            memory.accept(spans);
          };
        }

        @Override
        public SpanStore spanStore() {
          return memory;
        }

        @Override
        public void check() {}

        @Override
        public void close() {}
      };

  @AfterEach
  void stop() {
    release.countDown();
    if (service != null) {
      service.close();
    }
    if (pipeline != null) {
      pipeline.close();
    }
    own.close();
  }

  private void start(
      Storage storage, List<SpanListener> listeners, long maxInFlight, int maxQueued) {
    pipeline = new Pipeline(storage, listeners, own.telemetry().meter(), maxInFlight, maxQueued);
    pipeline.start();
    OtlpHttpReceiver receiver = new OtlpHttpReceiver(pipeline, own.telemetry().meter());
    service =
        Service.builder("observatory-otlp", own.telemetry())
            .port(0)
            .routes(receiver::register)
            .start();
  }

  private CompletableFuture<HttpResponse<String>> export(List<Span> spans) {
    return client.sendAsync(
        HttpRequest.newBuilder(URI.create(service.url() + "/v1/traces"))
            .header("Content-Type", "application/x-protobuf")
            .POST(HttpRequest.BodyPublishers.ofByteArray(OtlpProtoEncoder.encode(spans)))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private String metrics() throws Exception {
    return client
        .send(
            HttpRequest.newBuilder(URI.create(service.url() + "/metrics")).build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  @Test
  void aBusyReceiverAnswers429WithRetryAfterAndTheFirstRequestStillSucceeds() throws Exception {
    // room for one small request (its body and its decoded spans), not for two
    start(blocking, List.of(), 100 * 1024, 1_000);
    SyntheticTraces traces = new SyntheticTraces(1);
    CompletableFuture<HttpResponse<String>> first = export(traces.chatTrace(1_000_000_000L, 0));
    assertThat(entered.await(20, TimeUnit.SECONDS)).isTrue();

    HttpResponse<String> second =
        export(traces.chatTrace(2_000_000_000L, 0)).get(20, TimeUnit.SECONDS);

    assertThat(second.statusCode()).isEqualTo(429);
    assertThat(second.headers().firstValue("Retry-After")).hasValue("1");
    assertThat(Json.MAPPER.readTree(second.body()).get("error").get("code").asText())
        .isEqualTo("rate_limited");
    release.countDown();
    assertThat(first.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    assertThat(memory.stats().spans()).isEqualTo(10);
    assertThat(metrics()).contains("uat_observatory_ingest_refused_total{reason=\"busy\"} 1.0");
    assertThat(pipeline.inFlightBytes()).as("every reservation returned").isZero();
  }

  @Test
  void aClosedPipelineAnswers503WithRetryAfter() throws Exception {
    start(memory, List.of(), 1 << 20, 1_000);
    pipeline.close();

    HttpResponse<String> response =
        export(new SyntheticTraces(1).chatTrace(1, 0)).get(20, TimeUnit.SECONDS);

    assertThat(response.statusCode()).isEqualTo(503);
    assertThat(response.headers().firstValue("Retry-After")).hasValue("1");
  }

  @Test
  void whenTheListenersFallBehindTheirSpansAreDroppedAndCountedButStored() throws Exception {
    CountDownLatch listenerMayGo = new CountDownLatch(1);
    AtomicInteger seen = new AtomicInteger();
    SpanListener slow =
        (spans, at) -> {
          try {
            listenerMayGo.await(30, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          seen.addAndGet(spans.size());
        };
    start(memory, List.of(slow), 1 << 20, 15);
    SyntheticTraces traces = new SyntheticTraces(2);
    for (int i = 0; i < 5; i++) {
      assertThat(
              export(traces.chatTrace(i * 1_000_000_000L, 0))
                  .get(20, TimeUnit.SECONDS)
                  .statusCode())
          .isEqualTo(200);
    }
    listenerMayGo.countDown();

    assertThat(memory.stats().spans()).as("all stored").isEqualTo(50);
    await().atMost(Duration.ofSeconds(20)).until(() -> pipeline.queuedSpans() == 0);
    // the first batch fills the queue of 15 spans until the listener is done with it
    assertThat(seen.get()).isEqualTo(10);
    assertThat(metrics()).contains("uat_observatory_derived_dropped_total 40.0");
  }
}
