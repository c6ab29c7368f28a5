package dev.uat.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.telemetry.TestTelemetry;
import dev.uat.web.HttpError;
import dev.uat.web.Json;
import io.opentelemetry.api.trace.SpanKind;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link RouterClient#complete}: the non-streamed call, against a fake router. */
@Timeout(30)
class RouterClientTest {
  private final TestTelemetry otel = new TestTelemetry("uat-api");
  private final MockWebServer router = new MockWebServer();
  private RouterClient client;

  private static final List<RouterClient.Turn> TURNS =
      List.of(new RouterClient.Turn("user", "hello"));

  @BeforeEach
  void start() throws IOException {
    router.start();
    client = new RouterClient(otel.telemetry(), router.url("/").toString(), Duration.ofSeconds(1));
  }

  @AfterEach
  void stop() {
    router.close();
    otel.close();
  }

  private static MockResponse json(int status, String body) {
    return new MockResponse.Builder()
        .code(status)
        .setHeader("Content-Type", "application/json")
        .body(body)
        .build();
  }

  @Test
  void completeAsksForTheWholeAnswerAndReadsIt() throws Exception {
    router.enqueue(
        json(
            200,
            """
            {"id":"chatcmpl-1","object":"chat.completion","model":"llama3.2:latest",
             "choices":[{"index":0,"message":{"role":"assistant","content":"Hello back"},
                         "finish_reason":"stop"}],
             "usage":{"prompt_tokens":7,"completion_tokens":2,"total_tokens":9}}
            """));

    RouterClient.Completion answer = client.complete("llama3.2", TURNS, "Bearer abc");

    assertThat(answer)
        .isEqualTo(new RouterClient.Completion("Hello back", "llama3.2:latest", "stop", 7, 2));
    var sent = router.takeRequest();
    assertThat(sent.getUrl().encodedPath()).isEqualTo("/v1/chat/completions");
    assertThat(sent.getHeaders().get("Authorization")).isEqualTo("Bearer abc");
    assertThat(sent.getHeaders().get("traceparent")).startsWith("00-");
    JsonNode body = Json.MAPPER.readTree(sent.getBody().utf8());
    assertThat(body.get("stream").asBoolean(true)).isFalse();
    assertThat(body.get("model").asText()).isEqualTo("llama3.2");
    assertThat(body.at("/messages/0/content").asText()).isEqualTo("hello");
    assertThat(otel.spans()).anySatisfy(s -> assertThat(s.getKind()).isEqualTo(SpanKind.CLIENT));
  }

  @Test
  void aClientErrorOfTheRouterIsKept() {
    router.enqueue(
        json(404, "{\"error\":{\"code\":\"model_not_found\",\"message\":\"no such model\"}}"));
    HttpError e = catchThrowableOfType(HttpError.class, () -> client.complete("nope", TURNS, null));
    assertThat(e.status()).isEqualTo(404);
    assertThat(e.code()).isEqualTo("model_not_found");
    assertThat(e.getMessage()).isEqualTo("no such model");
  }

  @Test
  void aRouterFailureIsABadGatewayAndItsUnavailabilityKept() {
    router.enqueue(json(500, "{\"error\":{\"code\":\"upstream_error\",\"message\":\"boom\"}}"));
    router.enqueue(json(503, "{\"error\":{\"code\":\"no_provider\",\"message\":\"down\"}}"));
    assertThat(catchThrowableOfType(HttpError.class, () -> client.complete(null, TURNS, null)))
        .satisfies(e -> assertThat(e.status()).isEqualTo(502))
        .satisfies(e -> assertThat(e.code()).isEqualTo("upstream_error"));
    assertThat(catchThrowableOfType(HttpError.class, () -> client.complete(null, TURNS, null)))
        .satisfies(e -> assertThat(e.status()).isEqualTo(503));
  }

  @Test
  void aSilentRouterIsATimeout() {
    router.enqueue(
        new MockResponse.Builder().headersDelay(10, TimeUnit.SECONDS).body("{}").build());
    HttpError e = catchThrowableOfType(HttpError.class, () -> client.complete(null, TURNS, null));
    assertThat(e.status()).isEqualTo(504);
    assertThat(e.code()).isEqualTo("router_timeout");
  }

  @Test
  void anUnreachableRouterIsUnavailable() throws IOException {
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    RouterClient down =
        new RouterClient(otel.telemetry(), "http://127.0.0.1:" + port, Duration.ofSeconds(1));
    HttpError e = catchThrowableOfType(HttpError.class, () -> down.complete(null, TURNS, null));
    assertThat(e.status()).isEqualTo(503);
    assertThat(e.code()).isEqualTo("router_unavailable");
  }
}
