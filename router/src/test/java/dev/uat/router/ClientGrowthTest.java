package dev.uat.router;

import static org.assertj.core.api.Assertions.assertThat;

import dev.uat.router.provider.ChatStream;
import dev.uat.telemetry.TestTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What a client can make the router hold is bounded: model names it makes up (length, the
 * deployments remembered for them, metric labels), and the answers it makes a model write.
 */
@Timeout(60)
class ClientGrowthTest {
  private final TestTelemetry otel = new TestTelemetry("uat-router");
  private FakeUpstream upstream;
  private Router router;

  @AfterEach
  void stop() {
    if (router != null) {
      router.close();
    }
    if (upstream != null) {
      upstream.close();
    }
    otel.close();
  }

  private Router openai(FakeUpstream u) {
    return Router.start(
        RouterSettings.defaults().toBuilder()
            .port(0)
            .provider("openai")
            .openaiUrl(u.url("/v1"))
            .openaiKey(null)
            .requestTimeout(Duration.ofSeconds(10))
            .build(),
        otel.telemetry(),
        Http.VERIFIER,
        false);
  }

  /** A router in front of an Ollama that lists its models and never answers a chat. */
  private Router hangingOllama() throws Exception {
    upstream = new FakeUpstream().on("/api/tags", 200, Wire.OLLAMA_TAGS).hangOn("/api/chat");
    return Router.start(
        RouterSettings.defaults().toBuilder()
            .port(0)
            .provider("ollama")
            .ollamaUrl(upstream.url())
            .requestTimeout(Duration.ofSeconds(3))
            .build(),
        otel.telemetry(),
        Http.VERIFIER,
        false);
  }

  private long counted(String metric, String key, String value) {
    return otel.metrics().stream()
        .filter(m -> m.getName().equals(metric))
        .map(MetricData::getLongSumData)
        .flatMap(d -> d.getPoints().stream())
        .filter(p -> value.equals(p.getAttributes().get(AttributeKey.stringKey(key))))
        .mapToLong(LongPointData::getValue)
        .sum();
  }

  @Test
  void modelNamesNobodyListedAreBoundedInBytesAndNeverMetricLabels() throws Exception {
    // the upstream never lists its models: every name a client sends is passed through to it
    upstream =
        new FakeUpstream()
            .on("/v1/models", 500, "{}")
            .on("/v1/chat/completions", 200, Wire.OPENAI_CHAT);
    router = openai(upstream);
    int names = 40;
    for (int i = 0; i < names; i++) {
      String model = String.format("%04d", i) + "m".repeat(OpenAiRequests.MAX_MODEL_LENGTH - 4);
      var r = Http.post(router.url() + "/v1/chat/completions", Http.chat(model, "Hi"));
      assertThat(r.statusCode()).isEqualTo(200);
    }

    assertThat(router.catalog().unlistedBytes()).isLessThanOrEqualTo(ModelCatalog.UNLISTED_BYTES);
    assertThat(counted("uat.router.limit.refusals", "uat.router.refusal", "unlisted_model_label"))
        .isGreaterThanOrEqualTo(names);
    List<String> labels =
        otel.metric("gen_ai.client.operation.duration").getHistogramData().getPoints().stream()
            .map(p -> p.getAttributes().get(dev.uat.telemetry.UatAttributes.GEN_AI_REQUEST_MODEL))
            .filter(Objects::nonNull)
            .distinct()
            .toList();
    assertThat(labels).containsExactly(GenAiTelemetry.OTHER);
    assertThat(otel.spans())
        .filteredOn(s -> s.getKind() == SpanKind.CLIENT && s.getName().startsWith("chat"))
        .isNotEmpty()
        .allSatisfy(s -> assertThat(s.getName()).isEqualTo("chat"));
    assertThat(router.catalog().deployments()).isEmpty(); // no breaker gauge series either
  }

  @Test
  void deploymentsOfUnlistedNamesStayWithinTheirByteBudget() {
    ProviderInstance never =
        new ProviderInstance(
            "openai",
            new dev.uat.router.provider.OpenAiProvider(
                "http://127.0.0.1:9/v1",
                null,
                ProviderInstances.httpClient(otel.telemetry(), Duration.ofSeconds(1)),
                dev.uat.router.provider.Timeouts.of(Duration.ofSeconds(1))),
            1,
            0,
            true);
    RouterMetrics metrics = new RouterMetrics(otel.telemetry());
    long budget = 64 * 1024;
    ModelCatalog catalog =
        new ModelCatalog(
            List.of(never),
            java.util.Map.of(),
            null,
            (i, model, listed) ->
                new Deployment(
                    i,
                    model,
                    new CircuitBreaker(model, 5, 1_000_000_000L, System::nanoTime, (b, f, t) -> {}),
                    listed),
            metrics,
            budget);

    for (int i = 0; i < 1_000; i++) { // about 2.2 KiB each: 30 times the budget
      String model = String.format("%04d", i) + "m".repeat(OpenAiRequests.MAX_MODEL_LENGTH - 4);
      assertThat(catalog.resolve(model).steps().getFirst().getFirst().listed()).isFalse();
    }

    assertThat(catalog.unlistedBytes()).isLessThanOrEqualTo(budget).isGreaterThan(budget / 2);
    assertThat(counted("uat.router.budget.evictions", "uat.router.budget", "unlisted_deployments"))
        .isGreaterThan(900);
    assertThat(catalog.deployments()).isEmpty();
  }

  @Test
  void requestsBeyondTheInFlightBudgetAre503AndTheRouterKeepsServing() throws Exception {
    router = hangingOllama();
    // each charged 16 KiB + 8 x ~900 KB, about 7 MiB: four fit in the 32 MiB budget, five do not
    int fit = (int) (InFlightBudget.MAX_BYTES / (InFlightBudget.EXPANSION * 920_000L));
    assertThat(fit).isEqualTo(4);
    List<java.util.concurrent.CompletableFuture<java.net.http.HttpResponse<String>>> held =
        new java.util.ArrayList<>();
    for (int i = 0; i < fit; i++) {
      held.add(largeChat(i));
    }
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> upstream.requests("/api/chat").size() == fit);

    var refused = largeChat(99).get();

    assertThat(refused.statusCode()).isEqualTo(503);
    assertThat(Http.json(refused).at("/error/code").asText()).isEqualTo("overloaded");
    assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
    assertThat(counted("uat.router.limit.refusals", "uat.router.refusal", "in_flight_bytes"))
        .isEqualTo(1);
    for (var f : held) {
      assertThat(f.get().statusCode()).isEqualTo(504); // the upstream never answered
    }

    // everything held was released: as many large requests fit again, and are answered
    upstream.on("/api/chat", 200, Wire.ollamaChat("llama3.2:latest", "Hi there!", "stop"));
    List<java.util.concurrent.CompletableFuture<java.net.http.HttpResponse<String>>> again =
        new java.util.ArrayList<>();
    for (int i = 0; i < fit; i++) {
      again.add(largeChat(100 + i));
    }
    for (var f : again) {
      var r = f.get();
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }
  }

  @Test
  void aFloodOfLargeRequestsIsRefusedNotFatal() throws Exception {
    router = hangingOllama();
    int flood = 40; // held whole, about 280 MiB: more than the heap these tests run in (256 MiB)
    List<java.util.concurrent.CompletableFuture<java.net.http.HttpResponse<String>>> sent =
        new java.util.ArrayList<>();
    for (int i = 0; i < flood; i++) {
      sent.add(largeChat(0));
    }
    int refused = 0;
    for (var f : sent) {
      int status = f.get().statusCode();
      assertThat(status).isIn(503, 504);
      refused += status == 503 ? 1 : 0;
    }

    assertThat(refused).isGreaterThanOrEqualTo(flood - 4);
    assertThat(counted("uat.router.limit.refusals", "uat.router.refusal", "in_flight_bytes"))
        .isEqualTo(refused);
    upstream.on("/api/chat", 200, Wire.ollamaChat("llama3.2:latest", "Hi there!", "stop"));
    // a held request's deployment slot is freed when its cancelled upstream call returns, which
    // may come just after its 504: until then the answer is 503 overloaded with Retry-After
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              var after =
                  Http.post(router.url() + "/v1/chat/completions", Http.chat("llama3.2", "Still?"));
              if (after.statusCode() == 503) {
                assertThat(Http.json(after).at("/error/code").asText()).isEqualTo("overloaded");
              }
              assertThat(after.statusCode()).as(after.body()).isEqualTo(200);
            });
  }

  private java.util.concurrent.CompletableFuture<java.net.http.HttpResponse<String>> largeChat(
      int i) {
    String body = Http.chat("llama3.2:latest", i + "a".repeat(900_000));
    return java.util.concurrent.CompletableFuture.supplyAsync(
        () -> {
          try {
            return Http.post(router.url() + "/v1/chat/completions", body);
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        },
        java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
  }

  @Test
  void tooLongModelNamesAre400AndCounted() throws Exception {
    upstream = new FakeUpstream().on("/v1/models", 200, Wire.OPENAI_MODELS);
    router = openai(upstream);
    String name = "m".repeat(OpenAiRequests.MAX_MODEL_LENGTH + 1);

    var chat = Http.post(router.url() + "/v1/chat/completions", Http.chat(name, "Hi"));
    var embed =
        Http.post(router.url() + "/v1/embeddings", "{\"model\":\"" + name + "\",\"input\":\"Hi\"}");
    var model = Http.get(router.url() + "/v1/models/" + name);

    for (var r : List.of(chat, embed, model)) {
      assertThat(r.statusCode()).isEqualTo(400);
      assertThat(Http.json(r).at("/error/message").asText())
          .isEqualTo("the model name is longer than 256 characters; no model is named so");
    }
    assertThat(counted("uat.router.limit.refusals", "uat.router.refusal", "model_name_too_long"))
        .isEqualTo(3);
    assertThat(upstream.requests("/v1/chat/completions")).isEmpty();
  }

  @Test
  void streamedAnswersAreCutAtTheirSizeLimitAndCounted() throws Exception {
    String piece = "x".repeat(64 * 1024);
    String[] pieces = new String[ChatStream.MAX_ANSWER_CHARS / piece.length() + 2];
    java.util.Arrays.fill(pieces, piece);
    upstream =
        new FakeUpstream()
            .on("/v1/models", 200, Wire.OPENAI_MODELS)
            .on(
                "/v1/chat/completions",
                FakeUpstream.stream("text/event-stream", Wire.openAiStream("gpt-4o-mini", pieces)));
    router = openai(upstream);

    var r =
        Http.post(router.url() + "/v1/chat/completions", Http.streamedChat("gpt-4o-mini", "Go on"));

    assertThat(r.statusCode()).isEqualTo(200);
    List<String> events = StreamingTest.events(r.body());
    assertThat(events.getLast()).isEqualTo("[DONE]");
    int chars = 0;
    String finish = null;
    for (String e : events.subList(0, events.size() - 1)) {
      var chunk = Http.json(e).at("/choices/0");
      chars += chunk.at("/delta/content").asText("").length();
      if (chunk.at("/finish_reason").isTextual()) {
        finish = chunk.at("/finish_reason").asText();
      }
    }
    assertThat(chars).isEqualTo(ChatStream.MAX_ANSWER_CHARS);
    assertThat(finish).isEqualTo("length");
    assertThat(counted("uat.router.limit.refusals", "uat.router.refusal", "answer_too_long"))
        .isEqualTo(1);
  }
}
