package dev.uat.observatory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.uat.observatory.model.Span;
import dev.uat.observatory.testing.OtlpProtoEncoder;
import dev.uat.observatory.testing.SyntheticTraces;
import dev.uat.telemetry.TestTelemetry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Traces survive a restart when persistence is on, and only then. */
@Timeout(60)
class ObservatoryPersistenceTest {
  @TempDir Path data;
  private final HttpClient client = HttpClient.newHttpClient();

  private Observatory start(TestTelemetry own, boolean persist) {
    return Observatory.start(
        new ObservatorySettings("127.0.0.1", 0, 0, 8 << 20).withDataDir(data, persist),
        own.telemetry());
  }

  private void post(String url, String type, byte[] body, int status) throws Exception {
    HttpResponse<String> response =
        client.send(
            HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", type)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(status);
  }

  @Test
  void tracesOfEveryReceiverAreBackAfterARestartWithTheirMetrics() throws Exception {
    List<Span> chat =
        new SyntheticTraces(5)
            .chatTrace(System.currentTimeMillis() * 1_000_000 - 1_000_000_000L, 0);
    String chatId = chat.getFirst().traceIdHex();
    try (TestTelemetry own = new TestTelemetry("uat-observatory");
        Observatory first = start(own, true)) {
      post(
          first.otlpUrl() + "/v1/traces",
          "application/x-protobuf",
          OtlpProtoEncoder.encode(chat),
          200);
      post(
          first.zipkinUrl() + "/api/v2/spans",
          "application/json",
          "[{\"traceId\":\"00000000000000ee\",\"id\":\"0000000000000001\",\"name\":\"z\",\"timestamp\":1,\"localEndpoint\":{\"serviceName\":\"zip\"}}]"
              .getBytes(StandardCharsets.UTF_8),
          202);
      post(
          first.otlpUrl() + "/v1/traces",
          "application/json",
          "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":\"000000000000000000000000000000ff\",\"spanId\":\"0000000000000002\",\"name\":\"j\"}]}]}]}"
              .getBytes(StandardCharsets.UTF_8),
          200);
    } // close() writes what is queued and forces it to the disk

    assertThat(data.resolve("observatory/journal")).isDirectory();
    assertThat(data.resolve("observatory/alert-rules.yaml")).isRegularFile();
    try (TestTelemetry own = new TestTelemetry("uat-observatory");
        Observatory second = start(own, true)) {
      assertThat(second.store().trace(chatId).orElseThrow().spans()).isEqualTo(chat);
      assertThat(second.store().trace("ee").orElseThrow().spans().getFirst().serviceName())
          .isEqualTo("zip");
      assertThat(second.store().trace("ff")).isPresent();
      assertThat(second.store().services()).contains("uat-api", "zip", "unknown_service");
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  client
                      .send(
                          HttpRequest.newBuilder(URI.create(second.queryUrl() + "/metrics"))
                              .build(),
                          HttpResponse.BodyHandlers.ofString())
                      .body()
                      .contains("span_name=\"POST /api/chat\""));
    }
    try (TestTelemetry own = new TestTelemetry("uat-observatory");
        Observatory memoryOnly = start(own, false)) {
      assertThat(memoryOnly.store().trace(chatId)).as("persistence off").isEmpty();
    }
  }

  @Test
  void theAlertRulesFileIsWrittenWithTheShippedDefaultsAndKeptWhenEdited() throws Exception {
    try (TestTelemetry own = new TestTelemetry("uat-observatory");
        Observatory first = start(own, false)) {
      assertThat(first.alerts().rules().rules())
          .extracting(r -> r.name())
          .containsExactly("HighLatencyP95", "HighErrorRatio", "ServiceSilent");
    }
    Path rules = data.resolve("observatory/alert-rules.yaml");
    Files.writeString(
        rules,
        "rules:\n  - name: Mine\n    kind: error_ratio\n    threshold: 0.5\n",
        StandardCharsets.UTF_8);
    try (TestTelemetry own = new TestTelemetry("uat-observatory");
        Observatory second = start(own, false)) {
      assertThat(second.alerts().rules().rules()).extracting(r -> r.name()).containsExactly("Mine");
    }
  }

  @Test
  void aBrokenRulesFileAtStartFallsBackToTheShippedRulesAndSaysWhy() throws Exception {
    Files.createDirectories(data.resolve("observatory"));
    Files.writeString(data.resolve("observatory/alert-rules.yaml"), "rules: 42\n");

    try (TestTelemetry own = new TestTelemetry("uat-observatory");
        Observatory observatory = start(own, false)) {
      assertThat(observatory.alerts().rules().rules()).hasSize(3);
      assertThat(observatory.alerts().rulesError()).contains("'rules' must be a list");
    }
  }
}
