package dev.uat.observatory.alerts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.observatory.Observatory;
import dev.uat.observatory.TestObservatory;
import dev.uat.observatory.model.Attributes;
import dev.uat.observatory.model.Resource;
import dev.uat.observatory.model.Span;
import dev.uat.observatory.model.SpanKind;
import dev.uat.observatory.model.TraceId;
import dev.uat.web.Json;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Alerts end to end: rules from the data directory, evaluated continuously over exported spans,
 * listed at {@code /api/alerts}, and received by a real Alertmanager (Debian's
 * prometheus-alertmanager, on loopback, skipped loudly when not installed).
 */
@Timeout(90)
class AlertsEndToEndTest {
  static final Path ALERTMANAGER = Path.of("/usr/bin/prometheus-alertmanager");
  private static final Resource API = Resource.of(Attributes.of("service.name", "uat-api"));

  @TempDir Path data;
  @TempDir Path amDir;
  private final HttpClient client = HttpClient.newHttpClient();

  private void writeRules() throws IOException {
    Files.createDirectories(data.resolve("observatory"));
    Files.writeString(
        data.resolve("observatory/alert-rules.yaml"),
        "evaluation_interval: 200ms\n" + AlertEvaluatorTest.LATENCY);
  }

  private static void exportSlowSpans(TestObservatory observatory) {
    long now = System.currentTimeMillis() * 1_000_000;
    List<Span> spans = new ArrayList<>();
    for (int i = 1; i <= 20; i++) {
      spans.add(
          Span.builder()
              .traceId(new TraceId(0x5eed, i))
              .spanId(i)
              .name("POST /api/chat")
              .kind(SpanKind.SERVER)
              .startEpochNanos(now)
              .endEpochNanos(now + 700_000_000L)
              .resource(API)
              .build());
    }
    assertThat(observatory.postOtlp(spans).statusCode()).isEqualTo(200);
  }

  private JsonNode getJson(String url) throws Exception {
    return Json.MAPPER.readTree(
        client
            .send(
                HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString())
            .body());
  }

  @Test
  void slowSpansRaiseAnAlertListedAtApiAlertsWithExemplars() throws Exception {
    writeRules();
    try (TestObservatory fixture =
        TestObservatory.start(TestObservatory.settings(8 << 20).dataDir(data).build())) {
      Observatory observatory = fixture.observatory();
      exportSlowSpans(fixture);

      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> getJson(observatory.queryUrl() + "/api/alerts").get("alerts").size() == 1);
      JsonNode body = getJson(observatory.queryUrl() + "/api/alerts");
      JsonNode alert = body.get("alerts").get(0);
      assertThat(alert.get("name").asText()).isEqualTo("SlowApi");
      assertThat(alert.get("service").asText()).isEqualTo("uat-api");
      assertThat(alert.get("state").asText()).isEqualTo("firing");
      assertThat(alert.get("value").asDouble()).isGreaterThan(200);
      assertThat(alert.get("exemplarTraceIds").get(0).asText()).startsWith("0000000000005eed");
      assertThat(body.get("rules").get(0).get("name").asText()).isEqualTo("SlowApi");
      assertThat(body.get("rulesFile").asText()).endsWith("alert-rules.yaml");
      assertThat(body.get("rulesError").isNull()).isTrue();

      Files.writeString(data.resolve("observatory/alert-rules.yaml"), "rules: [oops");
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> !getJson(observatory.queryUrl() + "/api/alerts").get("rulesError").isNull());
      assertThat(getJson(observatory.queryUrl() + "/api/alerts").get("alerts"))
          .as("the previous rules stay on")
          .hasSize(1);
    }
  }

  @Test
  void aRealAlertmanagerReceivesTheFiringAlert() throws Exception {
    boolean installed = Files.isExecutable(ALERTMANAGER);
    if (!installed) {
      System.err.println(
          "SKIPPED: real Alertmanager test needs "
              + ALERTMANAGER
              + " (apt-get install prometheus-alertmanager)");
    }
    assumeTrue(installed, "prometheus-alertmanager is not installed");
    writeRules();
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    Path config = amDir.resolve("alertmanager.yml");
    Files.writeString(config, "route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n");
    Process alertmanager =
        new ProcessBuilder(
                ALERTMANAGER.toString(),
                "--config.file=" + config,
                "--storage.path=" + amDir.resolve("data"),
                "--web.listen-address=127.0.0.1:" + port,
                "--cluster.listen-address=")
            .redirectErrorStream(true)
            .redirectOutput(amDir.resolve("alertmanager.log").toFile())
            .start();
    String am = "http://127.0.0.1:" + port;
    try {
      await()
          .atMost(Duration.ofSeconds(30))
          .ignoreExceptions()
          .until(
              () ->
                  client
                          .send(
                              HttpRequest.newBuilder(URI.create(am + "/-/ready")).build(),
                              HttpResponse.BodyHandlers.discarding())
                          .statusCode()
                      == 200);
      try (TestObservatory fixture =
          TestObservatory.start(
              TestObservatory.settings(8 << 20).dataDir(data).alertmanagerUrl(am).build())) {
        Observatory observatory = fixture.observatory();
        exportSlowSpans(fixture);

        await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> getJson(am + "/api/v2/alerts").size() == 1);
        JsonNode received = getJson(am + "/api/v2/alerts").get(0);
        assertThat(received.get("labels").get("alertname").asText()).isEqualTo("SlowApi");
        assertThat(received.get("labels").get("service").asText()).isEqualTo("uat-api");
        assertThat(received.get("labels").get("source").asText()).isEqualTo("uat-observatory");
        assertThat(received.get("status").get("state").asText()).isEqualTo("active");
        assertThat(received.get("annotations").get("exemplar_trace_ids").asText())
            .contains("0000000000005eed");
        assertThat(received.get("generatorURL").asText())
            .isEqualTo(observatory.queryUrl() + "/alerts");
      }
    } finally {
      alertmanager.destroy();
      alertmanager.waitFor();
    }
  }
}
