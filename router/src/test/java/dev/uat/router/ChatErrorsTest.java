package dev.uat.router;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

@Timeout(30)
class ChatErrorsTest {
  private static final Duration TIMEOUT = Duration.ofMillis(400);

  @RegisterExtension final RouterFixture fixture = new RouterFixture();
  private final FakeUpstream ollama = fixture.ollama("Hi");
  private Router router;

  @BeforeEach
  void start() {
    router = startRouter(ollama.url());
  }

  private Router startRouter(String ollamaUrl) {
    return fixture.start(
        RouterFixture.settings().provider("ollama").ollamaUrl(ollamaUrl).requestTimeout(TIMEOUT));
  }

  private HttpResponse<String> chat(String body) throws Exception {
    return Http.post(router.url() + "/v1/chat/completions", body);
  }

  private static JsonNode error(HttpResponse<String> response) throws Exception {
    return Http.json(response).path("error");
  }

  @Test
  void malformedJsonIs400() throws Exception {
    var response = chat("{\"messages\": [");

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(error(response).path("code").asText()).isEqualTo("invalid_json");
    assertThat(error(response).path("type").asText()).isEqualTo("invalid_request_error");
    assertThat(ollama.requests("/api/chat")).isEmpty();
  }

  @Test
  void missingMessagesIs400NamingTheField() throws Exception {
    var response = chat("{\"model\":\"llama3.2:latest\"}");

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(error(response).path("code").asText()).isEqualTo("invalid_request");
    assertThat(error(response).path("message").asText()).contains("'messages'");
  }

  @Test
  void invalidRoleIs400NamingTheMessage() throws Exception {
    var response =
        chat(
            "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"bot\",\"content\":\"b\"}]}");

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(error(response).path("message").asText()).contains("'messages[1].role'", "'bot'");
  }

  @Test
  void missingOrMistypedContentIs400NamingTheField() throws Exception {
    assertThat(error(chat("{\"messages\":[{\"role\":\"user\"}]}")).path("message").asText())
        .contains("'messages[0].content'");
    assertThat(
            error(chat("{\"messages\":[{\"role\":\"user\",\"content\":42}]}"))
                .path("message")
                .asText())
        .contains("'messages[0].content'");
    var image =
        chat(
            """
            {"messages":[{"role":"user","content":[{"type":"text","text":"look"},
              {"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]}]}
            """);
    assertThat(image.statusCode()).isEqualTo(400);
    assertThat(error(image).path("message").asText())
        .contains("'messages[0].content[1].type'", "image_url");
  }

  @Test
  void outOfRangeSamplingParametersAre400() throws Exception {
    assertThat(
            error(chat("{\"temperature\":3," + Http.chat(null, "x").substring(1)))
                .path("message")
                .asText())
        .contains("'temperature'");
    assertThat(
            error(chat("{\"max_tokens\":0," + Http.chat(null, "x").substring(1)))
                .path("message")
                .asText())
        .contains("'max_tokens'");
  }

  @Test
  void moreThanAThousandMessagesIs400() throws Exception {
    String message = "{\"role\":\"user\",\"content\":\"x\"}";
    var response =
        chat(
            "{\"messages\":["
                + String.join(",", java.util.Collections.nCopies(1001, message))
                + "]}");

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(error(response).path("message").asText()).contains("'messages'", "1000");
  }

  @Test
  void bodyOverOneMebibyteIs413() throws Exception {
    var response = chat(Http.chat(null, "x".repeat(1024 * 1024)));

    assertThat(response.statusCode()).isEqualTo(413);
    assertThat(error(response).path("code").asText()).isEqualTo("payload_too_large");
  }

  @Test
  void streamOptionsWithoutStreamIs400() throws Exception {
    var response =
        chat("{\"stream_options\":{\"include_usage\":true}," + Http.chat(null, "x").substring(1));

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(error(response).path("message").asText()).contains("'stream_options'");
  }

  @Test
  void severalChoicesAndToolsAreRejectedNotIgnored() throws Exception {
    var n = chat("{\"n\":2," + Http.chat(null, "x").substring(1));
    var tools =
        chat(
            "{\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}],"
                + Http.chat(null, "x").substring(1));

    assertThat(n.statusCode()).isEqualTo(400);
    assertThat(error(n).path("code").asText()).isEqualTo("unsupported");
    assertThat(tools.statusCode()).isEqualTo(400);
    assertThat(error(tools).path("message").asText()).contains("tool");
  }

  @Test
  void unknownModelIs404ModelNotFound() throws Exception {
    var response = chat(Http.chat("gpt-5", "x"));

    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(error(response).path("code").asText()).isEqualTo("model_not_found");
    assertThat(ollama.requests("/api/chat")).isEmpty();
  }

  @Test
  void upstream500Is502WithAnErrorSpanAndErrorType() throws Exception {
    ollama.on(
        "/api/chat", 500, "{\"error\":\"llama runner process has terminated: signal: killed\"}");

    var response = chat(Http.chat("llama3.2:latest", "x"));

    assertThat(response.statusCode()).isEqualTo(502);
    JsonNode error = error(response);
    assertThat(error.path("code").asText()).isEqualTo("upstream_error");
    assertThat(error.path("type").asText()).isEqualTo("server_error");
    assertThat(error.path("message").asText())
        .contains("ollama", "500", "llama runner process has terminated")
        .doesNotContain("Exception", "\tat ");
    assertThat(response.body()).doesNotContain("choices");

    var spans = Http.chatTrace(fixture.otel);
    SpanData chat =
        spans.stream()
            .filter(s -> s.getName().equals("chat llama3.2:latest"))
            .findFirst()
            .orElseThrow();
    assertThat(chat.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(chat.getAttributes().get(AttributeKey.stringKey("error.type"))).isEqualTo("500");
    assertThat(chat.getEvents()).extracting(e -> e.getName()).contains("exception");
    SpanData server =
        spans.stream().filter(s -> s.getKind() == SpanKind.SERVER).findFirst().orElseThrow();
    assertThat(server.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
  }

  @Test
  void upstreamThatHangsIs504WithinTheTimeout() throws Exception {
    ollama.hangOn("/api/chat");

    long start = System.nanoTime();
    var response = chat(Http.chat("llama3.2:latest", "x"));
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    assertThat(response.statusCode()).isEqualTo(504);
    assertThat(error(response).path("code").asText()).isEqualTo("upstream_timeout");
    assertThat(error(response).path("message").asText()).contains("ollama", "400 ms");
    assertThat(took).isGreaterThanOrEqualTo(TIMEOUT).isLessThan(TIMEOUT.plusSeconds(3));
    var spans = Http.chatTrace(fixture.otel);
    assertThat(spans)
        .filteredOn(s -> s.getName().equals("chat llama3.2:latest"))
        .singleElement()
        .satisfies(
            s ->
                assertThat(s.getAttributes().get(AttributeKey.stringKey("error.type")))
                    .isEqualTo("timeout"));
  }

  @Test
  void unreachableProviderStartsAnywayReportsNotReadyAndChatIs503() throws Exception {
    router.close();
    router = startRouter("http://127.0.0.1:" + Http.deadPort());

    var ready = Http.get(router.url() + "/health/ready");
    var chat = chat(Http.chat("llama3.2:latest", "x"));
    var models = Http.get(router.url() + "/v1/models");

    assertThat(router.providerName()).isEqualTo("ollama");
    assertThat(ready.statusCode()).isEqualTo(503);
    assertThat(Http.json(ready).path("checks").path("ollama").asText()).contains("not reachable");
    assertThat(chat.statusCode()).isEqualTo(503);
    assertThat(error(chat).path("code").asText()).isEqualTo("provider_unavailable");
    assertThat(error(chat).path("message").asText()).contains("ollama", "not reachable");
    assertThat(models.statusCode()).isEqualTo(503);
  }

  @Test
  void upstreamModelNotFoundIs404() throws Exception {
    ollama.on(
        "/api/chat",
        404,
        "{\"error\":\"model \\\"llama3.2:latest\\\" not found, try pulling it first\"}");

    var response = chat(Http.chat("llama3.2:latest", "x"));

    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(error(response).path("code").asText()).isEqualTo("model_not_found");
    assertThat(error(response).path("message").asText()).contains("try pulling it first");
  }

  @Test
  void overheadHeaderIsSentOnErrorsToo() throws Exception {
    ollama.on("/api/chat", 500, "{\"error\":\"boom\"}");

    var response = chat(Http.chat("llama3.2:latest", "x"));

    assertThat(response.headers().firstValue("X-Router-Overhead-Micros")).isPresent();
    assertThat(response.statusCode()).isEqualTo(502);
  }
}
