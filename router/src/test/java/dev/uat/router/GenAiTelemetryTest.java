package dev.uat.router;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.metrics.data.HistogramPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.data.MetricDataType;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

@Timeout(30)
class GenAiTelemetryTest {
  private static final String REQUEST =
      """
      {"model":"llama3.2:latest",
       "messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hello?"}],
       "temperature":0.2,"top_p":0.9,"max_tokens":64,"stop":["END"],"seed":42}
      """;

  @RegisterExtension final RouterFixture fixture = new RouterFixture();
  private final FakeUpstream ollama = fixture.ollama("Hi there!");
  private Router router;

  private void startRouter(boolean captureContent) {
    router =
        fixture.start(
            RouterFixture.settings()
                .provider("ollama")
                .ollamaUrl(ollama.url())
                .requestTimeout(Duration.ofSeconds(5)),
            captureContent);
  }

  private List<SpanData> chatAndWaitForSpans() throws Exception {
    var response = Http.post(router.url() + "/v1/chat/completions", REQUEST);
    assertThat(response.statusCode()).isEqualTo(200);
    return Http.chatTrace(fixture.otel);
  }

  @Test
  void chatMakesServerThenGenAiClientThenHttpClientSpans() throws Exception {
    startRouter(false);
    List<SpanData> spans = chatAndWaitForSpans();

    assertThat(spans).hasSize(3); // start-up discovery is not traced; usage is written apart
    SpanData server = named(spans, "POST /v1/chat/completions");
    SpanData chat = named(spans, "chat llama3.2:latest");
    SpanData http = named(spans, "POST");
    assertThat(server.getKind()).isEqualTo(SpanKind.SERVER);
    assertThat(chat.getKind()).isEqualTo(SpanKind.CLIENT);
    assertThat(http.getKind()).isEqualTo(SpanKind.CLIENT);
    assertThat(chat.getParentSpanId()).isEqualTo(server.getSpanId());
    assertThat(http.getParentSpanId()).isEqualTo(chat.getSpanId());
    assertThat(List.of(chat.getTraceId(), http.getTraceId())).containsOnly(server.getTraceId());
    assertThat(chat.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);

    String responseId = chat.getAttributes().get(AttributeKey.stringKey("gen_ai.response.id"));
    assertThat(responseId).startsWith("chatcmpl-");
    Map<String, Object> expected = new LinkedHashMap<>();
    expected.put("gen_ai.operation.name", "chat");
    expected.put("gen_ai.provider.name", "ollama");
    expected.put("gen_ai.request.model", "llama3.2:latest");
    expected.put("gen_ai.request.temperature", 0.2);
    expected.put("gen_ai.request.top_p", 0.9);
    expected.put("gen_ai.request.max_tokens", 64L);
    expected.put("gen_ai.request.seed", 42L);
    expected.put("gen_ai.request.stop_sequences", List.of("END"));
    expected.put("gen_ai.response.model", "llama3.2:latest");
    expected.put("gen_ai.response.id", responseId);
    expected.put("gen_ai.response.finish_reasons", List.of("stop"));
    expected.put("gen_ai.usage.input_tokens", 26L);
    expected.put("gen_ai.usage.output_tokens", 298L);
    expected.put("server.address", "127.0.0.1");
    expected.put("server.port", (long) ollama.port());
    expected.put("uat.router.provider.instance", "ollama");
    expected.put("uat.router.attempt", 1L);
    expected.put("uat.router.fallback_index", 0L);
    assertThat(attributes(chat)).isEqualTo(expected);
    assertThat(server.getAttributes().get(AttributeKey.booleanKey("uat.router.cache.hit")))
        .isFalse();
  }

  @Test
  void messageContentIsRecordedOnlyWhenEnabled() throws Exception {
    startRouter(true);
    SpanData chat = named(chatAndWaitForSpans(), "chat llama3.2:latest");

    JsonNode input =
        Http.json(chat.getAttributes().get(AttributeKey.stringKey("gen_ai.input.messages")));
    JsonNode output =
        Http.json(chat.getAttributes().get(AttributeKey.stringKey("gen_ai.output.messages")));
    assertThat(input)
        .isEqualTo(
            Http.json(
                """
                [{"role":"system","parts":[{"type":"text","content":"Be brief."}]},
                 {"role":"user","parts":[{"type":"text","content":"Hello?"}]}]
                """));
    assertThat(output)
        .isEqualTo(
            Http.json(
                """
                [{"role":"assistant","parts":[{"type":"text","content":"Hi there!"}],
                  "finish_reason":"stop"}]
                """));
  }

  @Test
  void noSpanHoldsMessageContentByDefault() throws Exception {
    startRouter(false);

    assertThat(chatAndWaitForSpans())
        .allSatisfy(
            span ->
                assertThat(span.getAttributes().asMap().keySet())
                    .extracting(AttributeKey::getKey)
                    .noneMatch(key -> key.contains("messages") || key.contains("content")));
  }

  @Test
  void contentCaptureIsReadFromTheStandardSetting() {
    assertThat(RouterSettings.captureMessageContent(Map.of(), null)).isFalse();
    assertThat(
            RouterSettings.captureMessageContent(
                Map.of(RouterSettings.CAPTURE_CONTENT_ENV, "true"), null))
        .isTrue();
    assertThat(
            RouterSettings.captureMessageContent(
                Map.of(RouterSettings.CAPTURE_CONTENT_ENV, "TRUE "), null))
        .isTrue();
    assertThat(
            RouterSettings.captureMessageContent(
                Map.of(RouterSettings.CAPTURE_CONTENT_ENV, "true"), "false"))
        .isFalse();
    assertThat(
            RouterSettings.captureMessageContent(
                Map.of(RouterSettings.CAPTURE_CONTENT_ENV, "yes"), null))
        .isFalse();
  }

  @Test
  void genAiMetricsAreExposedOnMetrics() throws Exception {
    startRouter(false);
    chatAndWaitForSpans();

    String metrics = Http.get(router.url() + "/metrics").body();

    assertThat(metrics)
        .contains("# TYPE gen_ai_client_token_usage histogram")
        .contains("# TYPE gen_ai_client_operation_duration_seconds histogram");
    assertThat(metrics.lines().filter(l -> l.startsWith("gen_ai_client_token_usage_sum{")))
        .hasSize(2)
        .anySatisfy(
            l ->
                assertThat(l)
                    .contains(
                        "gen_ai_token_type=\"input\"",
                        "gen_ai_provider_name=\"ollama\"",
                        "gen_ai_request_model=\"llama3.2:latest\"",
                        "gen_ai_response_model=\"llama3.2:latest\"")
                    .endsWith(" 26.0"))
        .anySatisfy(l -> assertThat(l).contains("gen_ai_token_type=\"output\"").endsWith(" 298.0"));
    assertThat(metrics)
        .contains("gen_ai_client_token_usage_bucket{")
        .contains("le=\"6.7108864E7\"")
        .contains("gen_ai_client_operation_duration_seconds_bucket{")
        .contains("le=\"81.92\"");
  }

  @Test
  void responseCarriesTheRoutersOwnOverhead() throws Exception {
    startRouter(false);

    var response = Http.post(router.url() + "/v1/chat/completions", REQUEST);

    long micros =
        Long.parseLong(response.headers().firstValue("X-Router-Overhead-Micros").orElseThrow());
    assertThat(micros).isBetween(0L, 5_000_000L);
  }

  @Test
  void genAiMetricsHaveTheSpecsNamesUnitsBucketsAndAttributes() throws Exception {
    startRouter(false);
    chatAndWaitForSpans();

    MetricData tokens = fixture.otel.metric("gen_ai.client.token.usage");
    assertThat(tokens.getUnit()).isEqualTo("{token}");
    assertThat(tokens.getType()).isEqualTo(MetricDataType.HISTOGRAM);
    Map<String, Double> sums = new LinkedHashMap<>();
    for (HistogramPointData p : tokens.getHistogramData().getPoints()) {
      assertThat(p.getBoundaries())
          .containsExactlyElementsOf(
              GenAiTelemetry.TOKEN_BUCKETS.stream().map(Long::doubleValue).toList());
      assertThat(attributes(p.getAttributes()))
          .containsEntry("gen_ai.operation.name", "chat")
          .containsEntry("gen_ai.provider.name", "ollama")
          .containsEntry("gen_ai.request.model", "llama3.2:latest")
          .containsEntry("gen_ai.response.model", "llama3.2:latest")
          .containsEntry("server.address", "127.0.0.1")
          .containsEntry("server.port", (long) ollama.port())
          .hasSize(7);
      sums.put(p.getAttributes().get(AttributeKey.stringKey("gen_ai.token.type")), p.getSum());
    }
    assertThat(sums).containsExactlyInAnyOrderEntriesOf(Map.of("input", 26.0, "output", 298.0));

    MetricData duration = fixture.otel.metric("gen_ai.client.operation.duration");
    assertThat(duration.getUnit()).isEqualTo("s");
    HistogramPointData point = duration.getHistogramData().getPoints().iterator().next();
    assertThat(point.getBoundaries()).containsExactlyElementsOf(GenAiTelemetry.DURATION_BUCKETS);
    assertThat(point.getCount()).isEqualTo(1);
    assertThat(attributes(point.getAttributes()))
        .doesNotContainKey("error.type")
        .containsEntry("gen_ai.request.model", "llama3.2:latest");
    // not a streamed call: no time to first chunk
    assertThat(fixture.otel.metrics()).noneMatch(m -> m.getName().endsWith("time_to_first_chunk"));
  }

  @Test
  void streamedCallRecordsTimeToFirstChunkOnSpanAndMetric() throws Exception {
    ollama.on(
        "/api/chat",
        FakeUpstream.stream(
            "application/x-ndjson", Wire.ollamaStream("llama3.2:latest", "Hi", " there")));
    startRouter(false);

    var response =
        Http.post(
            router.url() + "/v1/chat/completions", Http.streamedChat("llama3.2:latest", "Hello?"));
    assertThat(response.statusCode()).isEqualTo(200);

    SpanData chat = named(Http.chatTrace(fixture.otel), "chat llama3.2:latest");
    assertThat(chat.getAttributes().get(AttributeKey.booleanKey("gen_ai.request.stream"))).isTrue();
    assertThat(
            chat.getAttributes().get(AttributeKey.doubleKey("gen_ai.response.time_to_first_chunk")))
        .isPositive()
        .isLessThan(5.0);
    assertThat(chat.getAttributes().get(AttributeKey.longKey("gen_ai.usage.output_tokens")))
        .isEqualTo(282L);
    MetricData ttfc = fixture.otel.metric("gen_ai.client.operation.time_to_first_chunk");
    assertThat(ttfc.getUnit()).isEqualTo("s");
    HistogramPointData p = ttfc.getHistogramData().getPoints().iterator().next();
    assertThat(p.getBoundaries()).containsExactlyElementsOf(GenAiTelemetry.DURATION_BUCKETS);
    assertThat(p.getCount()).isEqualTo(1);
  }

  @Test
  void failedAttemptRecordsErrorTypeOnSpanAndDurationMetric() throws Exception {
    ollama.on("/api/chat", 503, "{\"error\":\"server busy\"}");
    startRouter(false);

    var response = Http.post(router.url() + "/v1/chat/completions", REQUEST);

    assertThat(response.statusCode()).isEqualTo(502);
    List<SpanData> spans =
        Http.trace(
            fixture.otel,
            "POST /v1/chat/completions",
            s -> s.stream().filter(x -> x.getName().startsWith("chat ")).count() == 2);
    // one retry on the same deployment (a quick 5xx), numbered
    assertThat(spans)
        .filteredOn(x -> x.getName().equals("chat llama3.2:latest"))
        .extracting(x -> x.getAttributes().get(AttributeKey.longKey("uat.router.attempt")))
        .containsExactlyInAnyOrder(1L, 2L);
    assertThat(spans)
        .filteredOn(x -> x.getName().equals("chat llama3.2:latest"))
        .allSatisfy(
            x -> {
              assertThat(x.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
              assertThat(x.getAttributes().get(AttributeKey.stringKey("error.type")))
                  .isEqualTo("503");
            });
    HistogramPointData p =
        fixture
            .otel
            .metric("gen_ai.client.operation.duration")
            .getHistogramData()
            .getPoints()
            .stream()
            .filter(x -> "503".equals(x.getAttributes().get(AttributeKey.stringKey("error.type"))))
            .findFirst()
            .orElseThrow();
    assertThat(p.getCount()).isEqualTo(2);
    assertThat(fixture.otel.metrics())
        .noneMatch(m -> m.getName().equals("gen_ai.client.token.usage"));
    MetricData retries = fixture.otel.metric("uat.router.retries");
    assertThat(retries.getUnit()).isEqualTo("{retry}");
    assertThat(retries.getLongSumData().getPoints())
        .singleElement()
        .satisfies(
            x -> {
              assertThat(x.getValue()).isEqualTo(1);
              assertThat(attributes(x.getAttributes()))
                  .containsEntry("uat.router.deployment", "ollama/llama3.2:latest")
                  .containsEntry("error.type", "503");
            });
  }

  private static Map<String, Object> attributes(io.opentelemetry.api.common.Attributes a) {
    Map<String, Object> out = new LinkedHashMap<>();
    a.forEach((k, v) -> out.put(k.getKey(), v));
    return out;
  }

  private static SpanData named(List<SpanData> spans, String name) {
    return spans.stream()
        .filter(s -> s.getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no span " + name + " in " + spans));
  }

  private static Map<String, Object> attributes(SpanData span) {
    Map<String, Object> out = new LinkedHashMap<>();
    span.getAttributes().forEach((k, v) -> out.put(k.getKey(), v));
    return out;
  }
}
