package dev.uat.it.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The model provider failing every way, behind the real {@code uat up} with a router file
 * (docs/router.md): {@code safe} is {@code [fault/flaky, backup/echo]}, a fallback chain; {@code
 * fault/flaky} alone has none. Each failure mode: chats through the edge with the fallback all
 * succeed; without it the client gets the documented error in the JSON shape, the trace in the
 * observatory has the failing attempt and the root span in error, and the conversation holds the
 * question and no half answer.
 */
class ProviderFaultTest {
  static final int CHATS_PER_MODE = 16;
  static final Set<String> DOCUMENTED =
      Set.of(
          "upstream_error",
          "upstream_timeout",
          "upstream_rate_limited",
          "provider_unavailable",
          "circuit_open");

  @TempDir static Path dir;
  static FaultyProvider provider;
  static Platform platform;
  static String token;
  static final List<String> summary = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    provider = new FaultyProvider();
    int refused = Platform.freePort();
    Path config = dir.resolve("router.yaml");
    Files.writeString(
        config,
        """
        providers:
          - name: fault
            kind: openai
            url: %s
            timeouts: {connect: 1s, first_token: 2s, total: 4s}
          - name: refused
            kind: openai
            url: http://127.0.0.1:%d/v1
            timeouts: {connect: 1s, first_token: 2s, total: 4s}
          - name: backup
            kind: echo
        aliases:
          safe: [fault/flaky, backup/echo]
          safe-refused: [refused/flaky, backup/echo]
        default_model: backup/echo
        routing:
          retries: 1
          circuit_breaker: {failure_threshold: 100000, open_for: 1s}
        """
            .formatted(provider.url(), refused));
    platform = Platform.up(dir.resolve("data"));
    platform.env.put("UAT_ROUTER_CONFIG", config.toString());
    platform.env.put("UAT_RATE_LIMIT_CHATS", "0");
    platform.env.put("UAT_RATE_LIMIT_REQUESTS", "0");
    platform.start();
    token = platform.login("provider-faults@example.com");
  }

  @AfterAll
  static void stop() throws Exception {
    summary.forEach(System.out::println);
    if (platform != null) {
      assertThat(platform.stackTraceLines()).as("stack traces in the log").isEmpty();
      platform.close();
    }
    if (provider != null) {
      provider.close();
    }
  }

  @ParameterizedTest
  @EnumSource(
      value = FaultyProvider.Mode.class,
      names = {"HANG", "SLOW", "RATE_LIMITED", "ERROR", "RESET"})
  void withAFallbackEveryChatSucceedsAndWithoutOneTheErrorIsDocumentedTracedAndNothingHalfStored(
      FaultyProvider.Mode mode) throws Exception {
    provider.mode = mode;
    int before = provider.chats.get();
    var responses =
        Chats.run(
            platform,
            token,
            "{\"model\":\"safe\",\"message\":\"fallback please (" + mode + ")\"}",
            CHATS_PER_MODE,
            8);
    summary.add(
        mode
            + ": "
            + (CHATS_PER_MODE - Chats.failures(responses))
            + "/"
            + CHATS_PER_MODE
            + " chats with the fallback succeeded; the faulty provider was asked "
            + (provider.chats.get() - before)
            + " times");
    assertThat(Chats.failures(responses)).as(mode + ": " + Chats.firstFailure(responses)).isZero();
    assertThat(provider.chats.get()).as("the faulty provider was tried").isGreaterThan(before);
    // a fallback chat's trace: the failed attempt in error under a successful root
    String fallbackTrace = Platform.json(responses.get(0)).get("trace_id").asText();
    JsonNode okSpans = trace(fallbackTrace);
    assertThat(errorSpans(okSpans, "uat-router")).as("failed attempt, " + mode).isNotEmpty();

    noFallback(mode);
  }

  @Test
  void connectionRefusedFallsBackAndWithoutAFallbackIsDocumented() throws Exception {
    var responses =
        Chats.run(
            platform,
            token,
            "{\"model\":\"safe-refused\",\"message\":\"refused\"}",
            CHATS_PER_MODE,
            8);
    summary.add(
        "REFUSED: "
            + (CHATS_PER_MODE - Chats.failures(responses))
            + "/"
            + CHATS_PER_MODE
            + " chats with the fallback succeeded");
    assertThat(Chats.failures(responses)).as(Chats.firstFailure(responses)).isZero();
    checkDocumentedFailure("refused/flaky", "REFUSED");
  }

  /**
   * A stream broken after its first piece cannot fall back (docs/router.md: "a stream fails over
   * only before its first piece"), and the api always streams from the router: the chat fails with
   * the documented error even with a fallback, and nothing half is stored.
   */
  @Test
  void aStreamDroppedMidAnswerEndsInTheDocumentedErrorAndStoresNoHalfAnswer() throws Exception {
    provider.mode = FaultyProvider.Mode.DROP_MID_STREAM;
    var responses =
        Chats.run(platform, token, "{\"model\":\"safe\",\"message\":\"drop me\"}", 8, 4);
    summary.add(
        "DROP_MID_STREAM: "
            + (8 - Chats.failures(responses))
            + "/8 chats with the fallback succeeded (a stream fails over only before its first"
            + " piece)");
    for (HttpResponse<String> r : responses) {
      if (r.statusCode() != 200) {
        assertThat(r.statusCode()).isBetween(500, 504);
        assertThat(Platform.json(r).path("error").path("code").asText()).isIn(DOCUMENTED);
      }
    }
    noFallback(FaultyProvider.Mode.DROP_MID_STREAM);
  }

  private void noFallback(FaultyProvider.Mode mode) throws Exception {
    provider.mode = mode;
    checkDocumentedFailure("fault/flaky", mode.toString());
  }

  private void checkDocumentedFailure(String model, String what) throws Exception {
    String conversation =
        Platform.json(
                platform.call(
                    "POST",
                    platform.url("edge") + "/api/conversations",
                    token,
                    "{\"title\":\"" + what + "\"}"))
            .get("id")
            .asText();
    HttpResponse<String> r =
        platform.call(
            "POST",
            platform.url("edge") + "/api/chat",
            token,
            "{\"model\":\""
                + model
                + "\",\"conversation_id\":\""
                + conversation
                + "\",\"message\":\"no fallback ("
                + what
                + ")\"}");
    JsonNode error = Platform.json(r).path("error");
    summary.add(
        what
            + " without a fallback: "
            + r.statusCode()
            + " "
            + error.path("code").asText()
            + (r.headers().firstValue("Retry-After").map(v -> " Retry-After: " + v).orElse("")));
    assertThat(r.statusCode()).as(r.body()).isIn(429, 502, 503, 504);
    assertThat(error.path("code").asText()).as(r.body()).isIn(DOCUMENTED);
    assertThat(error.path("message").asText()).isNotBlank();
    String traceId = error.path("trace_id").asText();
    assertThat(traceId).isNotBlank();
    JsonNode spans = trace(traceId);
    assertThat(errorSpans(spans, "uat-router")).as("the failing attempt, " + what).isNotEmpty();
    JsonNode root = root(spans);
    if (r.statusCode() >= 500) {
      assertThat(isError(root)).as("root span in error: " + root).isTrue();
    } else {
      // a 4xx leaves a SERVER span's status unset (OpenTelemetry's HTTP conventions): the root
      // carries the status code; the router's attempt span carries the error
      assertThat(tag(root, "http.response.status_code"))
          .isEqualTo(Integer.toString(r.statusCode()));
    }
    // the stored conversation: the question, and no half answer
    JsonNode messages =
        Platform.json(
                platform.call(
                    "GET",
                    platform.url("edge") + "/api/conversations/" + conversation,
                    token,
                    null))
            .path("messages");
    List<String> roles = new ArrayList<>();
    messages.forEach(m -> roles.add(m.path("role").asText()));
    assertThat(roles).as(what + ": " + messages).doesNotContain("assistant");
  }

  /** The trace's spans, from the observatory's Jaeger API, once its root has arrived. */
  static JsonNode trace(String traceId) {
    JsonNode[] spans = new JsonNode[1];
    await()
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(300))
        .ignoreExceptions()
        .untilAsserted(
            () -> {
              HttpResponse<String> r =
                  platform.get(platform.url("observatory") + "/api/traces/" + traceId);
              assertThat(r.statusCode()).isEqualTo(200);
              JsonNode data = Platform.json(r).path("data").get(0);
              spans[0] = data;
              assertThat(root(data)).isNotNull();
            });
    return spans[0];
  }

  static JsonNode root(JsonNode trace) {
    for (JsonNode s : trace.path("spans")) {
      if (s.path("references").isEmpty()) {
        return s;
      }
    }
    return null;
  }

  static List<JsonNode> errorSpans(JsonNode trace, String service) {
    List<JsonNode> out = new ArrayList<>();
    for (JsonNode s : trace.path("spans")) {
      String svc =
          trace.path("processes").path(s.path("processID").asText()).path("serviceName").asText();
      if (svc.equals(service) && isError(s)) {
        out.add(s);
      }
    }
    return out;
  }

  static String tag(JsonNode span, String key) {
    for (JsonNode tag : span.path("tags")) {
      if (tag.path("key").asText().equals(key)) {
        return tag.path("value").asText();
      }
    }
    return null;
  }

  static boolean isError(JsonNode span) {
    for (JsonNode tag : span.path("tags")) {
      String k = tag.path("key").asText();
      String v = tag.path("value").asText();
      if ((k.equals("error") && v.equals("true"))
          || (k.equals("otel.status_code") && v.equals("ERROR"))) {
        return true;
      }
    }
    return false;
  }
}
