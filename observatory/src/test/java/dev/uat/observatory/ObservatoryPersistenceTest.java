package dev.uat.observatory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.uat.observatory.model.Span;
import dev.uat.observatory.testing.OtlpProtoEncoder;
import dev.uat.observatory.testing.SyntheticTraces;
import java.net.http.HttpClient;
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

  private TestObservatory start(boolean persist) {
    return TestObservatory.start(
        TestObservatory.settings(8 << 20).dataDir(data).persist(persist).build());
  }

  private static void post(TestObservatory to, String url, String type, byte[] body, int status) {
    assertThat(to.post(url, type, body).statusCode()).isEqualTo(status);
  }

  @Test
  void tracesOfEveryReceiverAreBackAfterARestartWithTheirMetrics() throws Exception {
    List<Span> chat =
        new SyntheticTraces(5)
            .chatTrace(System.currentTimeMillis() * 1_000_000 - 1_000_000_000L, 0);
    String chatId = chat.getFirst().traceIdHex();
    try (TestObservatory firstFixture = start(true)) {
      Observatory first = firstFixture.observatory();
      post(
          firstFixture,
          first.otlpUrl() + "/v1/traces",
          "application/x-protobuf",
          OtlpProtoEncoder.encode(chat),
          200);
      post(
          firstFixture,
          first.zipkinUrl() + "/api/v2/spans",
          "application/json",
          "[{\"traceId\":\"00000000000000ee\",\"id\":\"0000000000000001\",\"name\":\"z\",\"timestamp\":1,\"localEndpoint\":{\"serviceName\":\"zip\"}}]"
              .getBytes(StandardCharsets.UTF_8),
          202);
      post(
          firstFixture,
          first.otlpUrl() + "/v1/traces",
          "application/json",
          "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":\"000000000000000000000000000000ff\",\"spanId\":\"0000000000000002\",\"name\":\"j\"}]}]}]}"
              .getBytes(StandardCharsets.UTF_8),
          200);
    } // close() writes what is queued and forces it to the disk

    assertThat(data.resolve("observatory/journal")).isDirectory();
    assertThat(data.resolve("observatory/alert-rules.yaml")).isRegularFile();
    try (TestObservatory secondFixture = start(true)) {
      Observatory second = secondFixture.observatory();
      assertThat(second.store().trace(chatId).orElseThrow().spans()).isEqualTo(chat);
      assertThat(second.store().trace("ee").orElseThrow().spans().getFirst().serviceName())
          .isEqualTo("zip");
      assertThat(second.store().trace("ff")).isPresent();
      assertThat(second.store().services()).contains("uat-api", "zip", "unknown_service");
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () -> secondFixture.get("/metrics").body().contains("span_name=\"POST /api/chat\""));
    }
    try (TestObservatory memoryOnlyFixture = start(false)) {
      Observatory memoryOnly = memoryOnlyFixture.observatory();
      assertThat(memoryOnly.store().trace(chatId)).as("persistence off").isEmpty();
    }
  }

  @Test
  void noInProcessExporterWhileTheJournalIsOnItRecordsRequestBodies() {
    try (TestObservatory persisted = start(true)) {
      assertThat(persisted.observatory().inProcessExporter()).isEmpty();
    }
    try (TestObservatory memoryOnly = start(false)) {
      assertThat(memoryOnly.observatory().inProcessExporter()).isPresent();
    }
  }

  @Test
  void theAlertRulesFileIsWrittenWithTheShippedDefaultsAndKeptWhenEdited() throws Exception {
    try (TestObservatory firstFixture = start(false)) {
      Observatory first = firstFixture.observatory();
      assertThat(first.alerts().rules().rules())
          .extracting(r -> r.name())
          .containsExactly("HighLatencyP95", "HighErrorRatio", "ServiceSilent");
    }
    Path rules = data.resolve("observatory/alert-rules.yaml");
    Files.writeString(
        rules,
        "rules:\n  - name: Mine\n    kind: error_ratio\n    threshold: 0.5\n",
        StandardCharsets.UTF_8);
    try (TestObservatory secondFixture = start(false)) {
      Observatory second = secondFixture.observatory();
      assertThat(second.alerts().rules().rules()).extracting(r -> r.name()).containsExactly("Mine");
    }
  }

  @Test
  void aBrokenRulesFileAtStartFallsBackToTheShippedRulesAndSaysWhy() throws Exception {
    Files.createDirectories(data.resolve("observatory"));
    Files.writeString(data.resolve("observatory/alert-rules.yaml"), "rules: 42\n");

    try (TestObservatory observatoryFixture = start(false)) {
      Observatory observatory = observatoryFixture.observatory();
      assertThat(observatory.alerts().rules().rules()).hasSize(3);
      assertThat(observatory.alerts().rulesError()).contains("at 'rules'");
    }
  }
}
