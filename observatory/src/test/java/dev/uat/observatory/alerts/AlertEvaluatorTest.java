package dev.uat.observatory.alerts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.observatory.metrics.RedMetrics;
import dev.uat.observatory.model.Attributes;
import dev.uat.observatory.model.Resource;
import dev.uat.observatory.model.Span;
import dev.uat.observatory.model.SpanKind;
import dev.uat.observatory.model.StatusCode;
import dev.uat.observatory.model.TraceId;
import dev.uat.observatory.store.InMemoryStorage;
import dev.uat.web.Json;
import io.opentelemetry.api.metrics.MeterProvider;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Rules evaluated over RED metrics fed at known times, and alerts posted to an Alertmanager. */
@Timeout(60)
class AlertEvaluatorTest {
  private static final long T0 = 1_700_000_000_000L; // epoch millis
  private static final Resource API = Resource.of(Attributes.of("service.name", "uat-api"));

  private final RedMetrics red = new RedMetrics(MeterProvider.noop().get("test"));
  private final InMemoryStorage store = new InMemoryStorage(8 << 20);
  private final MockWebServer alertmanager = new MockWebServer();
  private long nextId = 1;

  @AfterEach
  void stop() throws Exception {
    alertmanager.close();
    store.close();
  }

  private AlertEvaluator evaluator(String yaml, AlertmanagerClient client) {
    AlertEvaluator evaluator =
        new AlertEvaluator(
            null,
            AlertRules.parse(yaml, "test"),
            red,
            store,
            null,
            MeterProvider.noop().get("test"),
            Clock.systemUTC());
    if (client != null) {
      evaluator.sendTo(client);
    }
    return evaluator;
  }

  /** {@code count} server spans of {@code millis} each, arriving at {@code at}. */
  private List<Span> spans(int count, long millis, boolean error, long at) {
    List<Span> spans = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      long id = nextId++;
      spans.add(
          Span.builder()
              .traceId(new TraceId(0xabc, id))
              .spanId(id)
              .name("POST /api/chat")
              .kind(SpanKind.SERVER)
              .startEpochNanos(at * 1_000_000)
              .endEpochNanos(at * 1_000_000 + millis * 1_000_000)
              .status(error ? StatusCode.ERROR : StatusCode.UNSET, "")
              .resource(API)
              .build());
    }
    store.accept(spans);
    red.onSpans(spans, at);
    return spans;
  }

  /** One latency rule, p95 of server spans over 200 ms in 5 minutes: also the end-to-end test's. */
  static final String LATENCY =
      """
      rules:
        - name: SlowApi
          kind: latency
          percentile: 95
          threshold_ms: 200
          window: 5m
          span_kinds: [server]
          min_calls: 5
          severity: warning
          summary: "p95 of {service} is {value} ms > {threshold} ms over {window}"
      """;

  @Test
  void latencyAboveTheThresholdFiresWithTheSlowTracesAsExemplarsAndResolves() {
    AlertEvaluator evaluator = evaluator(LATENCY, null);
    spans(90, 20, false, T0);
    List<Span> slow = spans(10, 900, false, T0 + 1_000);

    evaluator.evaluate(T0 + 2_000);

    Alert alert = evaluator.active().getFirst();
    assertThat(alert.rule()).isEqualTo("SlowApi");
    assertThat(alert.service()).isEqualTo("uat-api");
    assertThat(alert.state()).isEqualTo(Alert.State.FIRING);
    assertThat(alert.value()).isGreaterThan(200);
    assertThat(alert.summary()).startsWith("p95 of uat-api is ").endsWith(" ms > 200 ms over 5m");
    assertThat(alert.exemplarTraceIds())
        .isNotEmpty()
        .allSatisfy(id -> assertThat(slow.stream().map(Span::traceIdHex)).contains(id));

    evaluator.evaluate(T0 + 6 * 60_000); // the slow minute left the window
    assertThat(evaluator.active()).isEmpty();
    assertThat(evaluator.resolved().getFirst().state()).isEqualTo(Alert.State.RESOLVED);
    assertThat(evaluator.resolved().getFirst().resolvedAtMillis()).isEqualTo(T0 + 6 * 60_000);
  }

  @Test
  void fewCallsOrFastCallsDoNotFire() {
    AlertEvaluator evaluator = evaluator(LATENCY, null);
    spans(3, 900, false, T0);
    evaluator.evaluate(T0 + 1_000);
    assertThat(evaluator.active()).as("below min_calls").isEmpty();

    spans(100, 30, false, T0 + 1_000);
    evaluator.evaluate(T0 + 2_000);
    assertThat(evaluator.active()).isEmpty();
  }

  @Test
  void errorRatioFiresWithErrorTracesAfterItsForDuration() {
    AlertEvaluator evaluator =
        evaluator(
            """
            rules:
              - name: Errors
                kind: error_ratio
                threshold: 0.05
                window: 5m
                for: 30s
                severity: critical
            """,
            null);
    spans(90, 10, false, T0);
    List<Span> failed = spans(10, 10, true, T0);

    evaluator.evaluate(T0 + 1_000);
    assertThat(evaluator.active().getFirst().state()).isEqualTo(Alert.State.PENDING);
    evaluator.evaluate(T0 + 31_000);

    Alert alert = evaluator.active().getFirst();
    assertThat(alert.state()).isEqualTo(Alert.State.FIRING);
    assertThat(alert.value()).isEqualTo(0.1);
    assertThat(alert.severity()).isEqualTo("critical");
    assertThat(alert.activeSinceMillis()).isEqualTo(T0 + 1_000);
    assertThat(alert.exemplarTraceIds())
        .isNotEmpty()
        .allSatisfy(id -> assertThat(failed.stream().map(Span::traceIdHex)).contains(id));
  }

  private static final String SILENCE =
      """
      rules:
        - name: Silent
          kind: silence
          window: 2m
          baseline: 10m
          min_rate_per_minute: 1
      """;

  @Test
  void aServiceThatSentSteadilyAndStoppedIsSilent() {
    AlertEvaluator evaluator = evaluator(SILENCE, null);
    for (int minute = 0; minute < 10; minute++) {
      spans(5, 10, false, T0 + minute * 60_000L);
    }
    long last = T0 + 9 * 60_000L;

    evaluator.evaluate(last + 60_000);
    assertThat(evaluator.active()).as("one minute: not yet").isEmpty();
    evaluator.evaluate(last + 150_000);
    Alert alert = evaluator.active().getFirst();
    assertThat(alert.rule()).isEqualTo("Silent");
    assertThat(alert.value()).isEqualTo(150);
    assertThat(alert.exemplarTraceIds()).as("its last traces").hasSize(5);

    spans(1, 10, false, last + 160_000);
    evaluator.evaluate(last + 161_000);
    assertThat(evaluator.active()).isEmpty();
  }

  @Test
  void aServiceThatSentOnceIsNotSilent() {
    AlertEvaluator evaluator = evaluator(SILENCE, null);
    spans(3, 10, false, T0);

    evaluator.evaluate(T0 + 30 * 60_000L);

    assertThat(evaluator.active()).isEmpty();
  }

  @Test
  void firingAlertsArePostedToTheAlertmanagerAndResolvedOnesOnce() throws Exception {
    alertmanager.enqueue(new MockResponse.Builder().code(200).build());
    alertmanager.enqueue(new MockResponse.Builder().code(200).build());
    alertmanager.start();
    AlertmanagerClient client =
        new AlertmanagerClient(alertmanager.url("/").toString(), "http://127.0.0.1:16686");
    AlertEvaluator evaluator = evaluator(LATENCY, client);
    spans(10, 900, false, T0);

    evaluator.evaluate(T0 + 1_000);

    RecordedRequest firing = alertmanager.takeRequest(10, TimeUnit.SECONDS);
    assertThat(firing.getMethod()).isEqualTo("POST");
    assertThat(firing.getUrl().encodedPath()).isEqualTo("/api/v2/alerts");
    assertThat(firing.getHeaders().get("Content-Type")).isEqualTo("application/json");
    JsonNode sent = Json.MAPPER.readTree(firing.getBody().utf8()).get(0);
    assertThat(sent.get("labels"))
        .isEqualTo(
            Json.MAPPER.readTree(
                "{\"alertname\":\"SlowApi\",\"service\":\"uat-api\",\"severity\":\"warning\","
                    + "\"source\":\"uat-observatory\"}"));
    assertThat(sent.get("annotations").get("summary").asText()).startsWith("p95 of uat-api");
    String exemplars = sent.get("annotations").get("exemplar_trace_ids").asText();
    assertThat(exemplars).matches("[0-9a-f]{32}(,[0-9a-f]{32})*");
    assertThat(sent.get("annotations").get("trace_url").asText())
        .isEqualTo("http://127.0.0.1:16686/trace/" + exemplars.split(",")[0]);
    assertThat(sent.get("startsAt").asText())
        .isEqualTo(Instant.ofEpochMilli(T0 + 1_000).toString());
    assertThat(Instant.parse(sent.get("endsAt").asText()))
        .isAfter(Instant.ofEpochMilli(T0 + 1_000));
    assertThat(sent.get("generatorURL").asText()).isEqualTo("http://127.0.0.1:16686/alerts");

    evaluator.evaluate(T0 + 10 * 60_000L);
    JsonNode resolved =
        Json.MAPPER.readTree(alertmanager.takeRequest(10, TimeUnit.SECONDS).getBody().utf8());
    assertThat(resolved).hasSize(1);
    assertThat(resolved.get(0).get("endsAt").asText())
        .isEqualTo(Instant.ofEpochMilli(T0 + 10 * 60_000L).toString());

    evaluator.evaluate(T0 + 11 * 60_000L);
    assertThat(alertmanager.getRequestCount()).as("nothing left to send").isEqualTo(2);
  }

  @Test
  void aFailedPostIsCountedAndTheResolutionIsSentAgainLater() throws Exception {
    alertmanager.enqueue(new MockResponse.Builder().code(200).build());
    alertmanager.enqueue(new MockResponse.Builder().code(503).body("busy").build());
    alertmanager.enqueue(new MockResponse.Builder().code(200).build());
    alertmanager.start();
    AlertEvaluator evaluator =
        evaluator(LATENCY, new AlertmanagerClient(alertmanager.url("/").toString(), "http://x"));
    spans(10, 900, false, T0);
    evaluator.evaluate(T0 + 1_000);
    alertmanager.takeRequest(10, TimeUnit.SECONDS);

    evaluator.evaluate(T0 + 10 * 60_000L); // resolved, but the post fails
    alertmanager.takeRequest(10, TimeUnit.SECONDS);
    evaluator.evaluate(T0 + 11 * 60_000L);

    JsonNode retried =
        Json.MAPPER.readTree(alertmanager.takeRequest(10, TimeUnit.SECONDS).getBody().utf8());
    assertThat(retried.get(0).get("labels").get("alertname").asText()).isEqualTo("SlowApi");
    assertThat(retried.get(0).get("endsAt").asText())
        .isEqualTo(Instant.ofEpochMilli(T0 + 10 * 60_000L).toString());
  }
}
