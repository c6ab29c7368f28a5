package dev.uat.router;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.router.provider.EchoProvider;
import dev.uat.telemetry.TestTelemetry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class EchoProviderTest {
  private TestTelemetry otel;
  private Router router;

  @BeforeEach
  void start() throws Exception {
    otel = new TestTelemetry("uat-router");
    // auto, with no Ollama listening: the router falls back to echo
    router =
        Router.start(
            RouterSettings.defaults()
                .withPort(0)
                .withOllamaUrl("http://127.0.0.1:" + Http.deadPort()),
            otel.telemetry());
  }

  @AfterEach
  void stop() {
    router.close();
    otel.close();
  }

  @Test
  void autoFallsBackToEchoWhenOllamaDoesNotAnswer() throws Exception {
    assertThat(router.providerName()).isEqualTo("echo");
    assertThat(router.defaultModel()).isEqualTo("echo");
    var models = Http.json(Http.get(router.url() + "/v1/models"));
    assertThat(models.path("data")).hasSize(1);
    assertThat(models.path("data").get(0).path("id").asText()).isEqualTo("echo");
    assertThat(models.path("data").get(0).path("owned_by").asText()).isEqualTo("echo");
    assertThat(Http.get(router.url() + "/health/ready").statusCode()).isEqualTo(200);
  }

  @Test
  void echoReplySaysItIsTheEchoProviderAndReportsUsage() throws Exception {
    var response =
        Http.post(
            router.url() + "/v1/chat/completions",
            """
            {"messages":[{"role":"system","content":"You are helpful."},
                         {"role":"user","content":"What is the weather like?"}]}
            """);

    assertThat(response.statusCode()).isEqualTo(200);
    JsonNode body = Http.json(response);
    assertThat(body.path("model").asText()).isEqualTo("echo");
    String content = body.path("choices").get(0).path("message").path("content").asText();
    assertThat(content)
        .isEqualTo(
            "[echo provider — no model server configured] You said: What is the weather like?");
    assertThat(body.path("choices").get(0).path("finish_reason").asText()).isEqualTo("stop");
    assertThat(body.path("usage").path("prompt_tokens").asInt()).isEqualTo(3 + 5);
    assertThat(body.path("usage").path("completion_tokens").asInt())
        .isEqualTo(content.split("\\s+").length);
    assertThat(body.path("usage").path("total_tokens").asInt())
        .isEqualTo(8 + content.split("\\s+").length);
  }

  @Test
  void echoHonoursMaxTokensWithFinishReasonLength() throws Exception {
    var response =
        Http.post(
            router.url() + "/v1/chat/completions",
            "{\"model\":\"echo/echo\",\"max_tokens\":3,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"one two three\"}]}");

    assertThat(response.statusCode()).isEqualTo(200);
    JsonNode choice = Http.json(response).path("choices").get(0);
    assertThat(choice.path("message").path("content").asText()).isEqualTo("[echo provider —");
    assertThat(choice.path("finish_reason").asText()).isEqualTo("length");
    assertThat(EchoProvider.PREFIX).startsWith("[echo provider —");
  }
}
