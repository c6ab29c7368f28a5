package dev.uat.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The all-in-one platform ({@code uat up}) on free ports, used through its edge. */
@Timeout(120)
class AllInOneTest {
  @TempDir static Path data;
  static Platform platform;
  static ChatTrace scenario;

  @BeforeAll
  static void up() {
    Map<String, String> flags = TestSettings.allInOne(data);
    platform = Platform.up(Config.load(null, Map.of(), flags));
    scenario = new ChatTrace(platform.edge().url(), platform.observatory().queryUrl());
  }

  @AfterAll
  static void down() {
    platform.close();
  }

  @Test
  void chatRequestProducesOneTraceAcrossAllServices() throws Exception {
    JsonNode trace = scenario.run("ada@example.com");
    ChatTrace.assertTree(trace);
  }

  @Test
  void componentsHandTheirSpansToTheEmbeddedObservatoryInProcess() throws Exception {
    scenario.run("grace@example.com");
    var client = java.net.http.HttpClient.newHttpClient();
    String metrics =
        client
            .send(
                java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create(platform.observatory().queryUrl() + "/metrics"))
                    .build(),
                java.net.http.HttpResponse.BodyHandlers.ofString())
            .body();
    Matcher inProcess =
        Pattern.compile(
                "uat_observatory_spans_received_total\\{[^}]*receiver=\"in_process\"[^}]*} (\\S+)")
            .matcher(metrics);
    assertThat(inProcess.find()).as(metrics).isTrue();
    assertThat(Double.parseDouble(inProcess.group(1))).isPositive();
    assertThat(metrics).doesNotContain("receiver=\"otlp_http\"");
  }

  @Test
  void badInputThroughTheEdgeGetsJsonErrors() throws Exception {
    var malformed = scenario.call("POST", "/api/auth/login", null, "{not json");
    assertThat(malformed.statusCode()).isEqualTo(400);
    assertThat(ChatTrace.json(malformed).at("/error/code").asText()).isEqualTo("invalid_json");

    var missing = scenario.call("POST", "/api/auth/register", null, "{\"email\":\"x@y.zz\"}");
    assertThat(missing.statusCode()).isEqualTo(400);
    assertThat(ChatTrace.json(missing).at("/error/message").asText()).contains("password");

    var badToken = scenario.call("POST", "/api/chat", "not-a-token", "{\"message\":\"hi\"}");
    assertThat(badToken.statusCode()).isEqualTo(401);
    assertThat(ChatTrace.json(badToken).at("/error/code").asText()).isEqualTo("unauthorized");

    var oversized =
        scenario.call("POST", "/api/chat", null, "{\"message\":\"" + "x".repeat(2_000_000) + "\"}");
    assertThat(oversized.statusCode()).isEqualTo(413);
    assertThat(ChatTrace.json(oversized).at("/error/code").asText()).isEqualTo("payload_too_large");

    var noMessages = scenario.call("POST", "/v1/chat/completions", null, "{\"model\":\"echo\"}");
    assertThat(noMessages.statusCode()).isEqualTo(400);
    assertThat(ChatTrace.json(noMessages).at("/error/message").asText()).contains("messages");
    for (var r :
        new java.net.http.HttpResponse<?>[] {malformed, missing, badToken, oversized, noMessages}) {
      assertThat(r.headers().firstValue("X-Trace-Id")).isPresent();
      assertThat(String.valueOf(r.body())).doesNotContain("Exception").doesNotContain("at dev.uat");
    }
  }

  @Test
  void everyServiceIsHealthyAndExposesMetrics() throws Exception {
    var client = java.net.http.HttpClient.newHttpClient();
    for (String url :
        new String[] {
          platform.edge().url(),
          platform.api().url(),
          platform.router().url(),
          platform.realtime().url(),
          platform.observatory().queryUrl()
        }) {
      var ready =
          client.send(
              java.net.http.HttpRequest.newBuilder(java.net.URI.create(url + "/health/ready"))
                  .build(),
              java.net.http.HttpResponse.BodyHandlers.ofString());
      assertThat(ready.statusCode()).as(url + " " + ready.body()).isEqualTo(200);
      var metrics =
          client.send(
              java.net.http.HttpRequest.newBuilder(java.net.URI.create(url + "/metrics")).build(),
              java.net.http.HttpResponse.BodyHandlers.ofString());
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.body()).contains("jvm_");
    }
  }
}
