package dev.uat.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.uat.telemetry.TestTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import mockwebserver3.MockResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fallback chains, retries and their budget, circuit breakers, latency-aware choice and concurrency
 * caps, against fake Ollama servers; time is a fake clock where it matters.
 */
@Timeout(30)
class ResilienceTest {
  @TempDir Path dir;
  private final TestTelemetry otel = new TestTelemetry("uat-router");
  private final AtomicLong clock = new AtomicLong(1_000_000_000L);
  private FakeUpstream primary;
  private FakeUpstream secondary;
  private Router router;

  @BeforeEach
  void upstreams() throws Exception {
    primary = new FakeUpstream().on("/api/tags", 200, Wire.OLLAMA_TAGS);
    secondary = new FakeUpstream().on("/api/tags", 200, Wire.OLLAMA_TAGS);
    primary.on("/api/chat", 200, Wire.ollamaChat("llama3.2:latest", "from primary", "stop"));
    secondary.on("/api/chat", 200, Wire.ollamaChat("llama3.2:latest", "from secondary", "stop"));
  }

  @AfterEach
  void stop() {
    if (router != null) {
      router.close();
    }
    primary.close();
    secondary.close();
    otel.close();
  }

  /** A router on {@code config}, its breakers and budget on the fake clock. */
  private Router startWith(Path config) {
    return Router.start(
        RouterSettings.defaults().toBuilder().port(0).configFile(config).build(),
        otel.telemetry(),
        Http.VERIFIER,
        false,
        clock::get);
  }

  private void start(String primaryUrl, String extra) throws Exception {
    Path config = dir.resolve("router.yaml");
    Files.writeString(
        config,
        """
        providers:
          - {name: primary, kind: ollama, url: "%s", timeouts: {total: 400ms}}
          - {name: secondary, kind: ollama, url: "%s"}
        aliases:
          fast: [primary/llama3.2, secondary/llama3.2]
        cache: {enabled: false}
        %s
        """
            .formatted(primaryUrl, secondary.url(), extra));
    router = startWith(config);
  }

  private HttpResponse<String> chat(String model) throws Exception {
    return Http.post(router.url() + "/v1/chat/completions", Http.chat(model, "Hi"));
  }

  private static String content(HttpResponse<String> r) throws Exception {
    return Http.json(r).at("/choices/0/message/content").asText();
  }

  private long counter(String name, Map<String, Object> attributes) {
    return otel.metrics().stream()
        .filter(m -> m.getName().equals(name))
        .flatMap(m -> m.getLongSumData().getPoints().stream())
        .filter(p -> matches(p.getAttributes(), attributes))
        .mapToLong(LongPointData::getValue)
        .sum();
  }

  private static boolean matches(Attributes a, Map<String, Object> wanted) {
    Map<String, Object> have = new LinkedHashMap<>();
    a.forEach((k, v) -> have.put(k.getKey(), v));
    return have.entrySet().containsAll(wanted.entrySet());
  }

  private void fallsBackOn(String errorType) throws Exception {
    var response = chat("fast");

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    assertThat(content(response)).isEqualTo("from secondary");
    assertThat(
            counter(
                "uat.router.fallbacks",
                Map.of("gen_ai.request.model", "fast", "error.type", errorType)))
        .isEqualTo(1);
  }

  @Test
  void connectErrorFallsBackToTheNextStep() throws Exception {
    start("http://127.0.0.1:" + Http.deadPort(), "routing: {retries: 0}");
    fallsBackOn("java.net.ConnectException");
  }

  @Test
  void serverErrorFallsBackToTheNextStep() throws Exception {
    primary.on("/api/chat", 500, "{\"error\":\"llama runner process has terminated\"}");
    start(primary.url(), "routing: {retries: 0}");
    fallsBackOn("500");
  }

  @Test
  void rateLimitedUpstreamFallsBackToTheNextStep() throws Exception {
    primary.on(
        "/api/chat",
        new MockResponse.Builder()
            .code(429)
            .setHeader("Retry-After", "7")
            .body("{\"error\":\"too many requests\"}")
            .build());
    start(primary.url(), "routing: {retries: 0}");
    fallsBackOn("429");
  }

  @Test
  void timeoutFallsBackToTheNextStepWithoutRetryingTheSlowDeployment() throws Exception {
    primary.hangOn("/api/chat");
    start(primary.url(), "");
    fallsBackOn("timeout");
    assertThat(primary.requests("/api/chat")).hasSize(1);
  }

  @Test
  void rejectedRequestFailsAtOnceWithoutFallback() throws Exception {
    primary.on("/api/chat", 400, "{\"error\":\"context length exceeded\"}");
    start(primary.url(), "");

    var response = chat("fast");

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(Http.json(response).at("/error/code").asText()).isEqualTo("upstream_rejected");
    assertThat(secondary.requests("/api/chat")).isEmpty();
  }

  @Test
  void lastStepFailingToo429sWithTheUpstreamsRetryAfter() throws Exception {
    MockResponse limited =
        new MockResponse.Builder()
            .code(429)
            .setHeader("Retry-After", "7")
            .body("{\"error\":{\"message\":\"Rate limit reached\"}}")
            .build();
    primary.on("/api/chat", limited);
    secondary.on("/api/chat", limited);
    start(primary.url(), "routing: {retries: 0}");

    var response = chat("fast");

    assertThat(response.statusCode()).isEqualTo(429);
    assertThat(response.headers().firstValue("Retry-After")).hasValue("7");
    assertThat(Http.json(response).at("/error/type").asText()).isEqualTo("rate_limit_error");
  }

  @Test
  void circuitOpensAfterTheThresholdThenHalfOpensAndClosesOnASuccessfulProbe() throws Exception {
    primary.on("/api/chat", 500, "{\"error\":\"boom\"}");
    start(
        primary.url(),
        "routing: {retries: 0, circuit_breaker: {failure_threshold: 2, open_for: 30s}}");

    assertThat(content(chat("fast"))).isEqualTo("from secondary");
    assertThat(content(chat("fast"))).isEqualTo("from secondary");
    assertThat(primary.requests("/api/chat")).hasSize(2);
    assertThat(breakerState("primary/llama3.2:latest")).isEqualTo("open");

    // open: the primary is not even asked
    assertThat(content(chat("fast"))).isEqualTo("from secondary");
    assertThat(primary.requests("/api/chat")).hasSize(2);
    assertThat(
            counter(
                "uat.router.fallbacks",
                Map.of("gen_ai.request.model", "fast", "error.type", "circuit_open")))
        .isEqualTo(1);

    // after the open period one probe goes through; it fails: open again
    clock.addAndGet(TimeUnit.SECONDS.toNanos(30));
    assertThat(content(chat("fast"))).isEqualTo("from secondary");
    assertThat(primary.requests("/api/chat")).hasSize(3);
    assertThat(breakerState("primary/llama3.2:latest")).isEqualTo("open");

    // next probe succeeds: closed, and the primary answers again
    primary.on("/api/chat", 200, Wire.ollamaChat("llama3.2:latest", "from primary", "stop"));
    clock.addAndGet(TimeUnit.SECONDS.toNanos(30));
    assertThat(content(chat("fast"))).isEqualTo("from primary");
    assertThat(breakerState("primary/llama3.2:latest")).isEqualTo("closed");
    assertThat(content(chat("fast"))).isEqualTo("from primary");

    Map<String, Long> transitions = new LinkedHashMap<>();
    for (String to : List.of("open", "half_open", "closed")) {
      transitions.put(
          to,
          counter(
              "uat.router.circuit_breaker.transitions",
              Map.of(
                  "uat.router.deployment",
                  "primary/llama3.2:latest",
                  "uat.router.circuit_breaker.state",
                  to)));
    }
    assertThat(transitions)
        .containsExactlyInAnyOrderEntriesOf(Map.of("open", 2L, "half_open", 2L, "closed", 1L));
  }

  @Test
  void everyCircuitOpenIs503WithRetryAfter() throws Exception {
    primary.on("/api/chat", 500, "{\"error\":\"boom\"}");
    secondary.on("/api/chat", 500, "{\"error\":\"boom\"}");
    start(
        primary.url(),
        "routing: {retries: 0, circuit_breaker: {failure_threshold: 1, open_for: 20s}}");

    assertThat(chat("fast").statusCode()).isEqualTo(502);
    var refused = chat("fast");

    assertThat(refused.statusCode()).isEqualTo(503);
    assertThat(Http.json(refused).at("/error/code").asText()).isEqualTo("circuit_open");
    assertThat(refused.headers().firstValue("Retry-After")).hasValue("20");
    assertThat(primary.requests("/api/chat")).hasSize(1);
  }

  /** The gauge: 1 for the current state. */
  private String breakerState(String deployment) {
    MetricData gauge = otel.metric("uat.router.circuit_breaker.state");
    assertThat(gauge.getUnit()).isEqualTo("1");
    return gauge.getLongGaugeData().getPoints().stream()
        .filter(
            p ->
                deployment.equals(
                        p.getAttributes().get(AttributeKey.stringKey("uat.router.deployment")))
                    && p.getValue() == 1)
        .map(p -> p.getAttributes().get(AttributeKey.stringKey("uat.router.circuit_breaker.state")))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void retriesStopWhenTheRetryBudgetIsSpent() throws Exception {
    primary.on("/api/chat", 500, "{\"error\":\"boom\"}");
    start(
        primary.url(),
        """
        routing:
          retries: 3
          retry_budget: {ratio: 0.5, min_per_second: 0}
          backoff: {initial: 1ms, max: 2ms}
          circuit_breaker: {failure_threshold: 100}
        """);

    for (int i = 0; i < 3; i++) {
      assertThat(chat("primary/llama3.2").statusCode()).isEqualTo(502);
    }

    // deposits 0.5, 1.0 (one retry), 0.5: four calls for three requests, not twelve
    assertThat(primary.requests("/api/chat")).hasSize(4);
    assertThat(counter("uat.router.retries", Map.of())).isEqualTo(1);
    assertThat(counter("uat.router.retries.denied", Map.of())).isEqualTo(3);
  }

  @Test
  void slowerOfTwoEquivalentDeploymentsGetsLessTraffic() throws Exception {
    primary.on(
        "/api/chat",
        new MockResponse.Builder()
            .headersDelay(150, TimeUnit.MILLISECONDS)
            .setHeader("Content-Type", "application/json")
            .body(Wire.ollamaChat("llama3.2:latest", "from primary", "stop"))
            .build());
    start(primary.url(), "");

    List<String> answers = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      answers.add(content(chat("llama3.2"))); // a bare name: both serve it, one step
    }

    assertThat(answers.stream().filter("from secondary"::equals).count())
        .isGreaterThanOrEqualTo(10);
  }

  @Test
  void fullConcurrencyCapSendsTheRequestToTheNextStep() throws Exception {
    primary.on(
        "/api/chat",
        new MockResponse.Builder()
            .headersDelay(1500, TimeUnit.MILLISECONDS)
            .setHeader("Content-Type", "application/json")
            .body(Wire.ollamaChat("llama3.2:latest", "from primary", "stop"))
            .build());
    Path config = dir.resolve("capped.yaml");
    Files.writeString(
        config,
        """
        providers:
          - {name: primary, kind: ollama, url: "%s", max_concurrency: 1}
          - {name: secondary, kind: ollama, url: "%s"}
        aliases:
          fast: [primary/llama3.2, secondary/llama3.2]
        cache: {enabled: false}
        """
            .formatted(primary.url(), secondary.url()));
    router = startWith(config);

    CompletableFuture<HttpResponse<String>> first =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return chat("fast");
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    await().atMost(Duration.ofSeconds(5)).until(() -> primary.requests("/api/chat").size() == 1);
    var second = chat("fast");

    assertThat(content(second)).isEqualTo("from secondary");
    assertThat(content(first.get(10, TimeUnit.SECONDS))).isEqualTo("from primary");
    assertThat(
            counter(
                "uat.router.fallbacks",
                Map.of("gen_ai.request.model", "fast", "error.type", "concurrency_limit")))
        .isEqualTo(1);
  }
}
