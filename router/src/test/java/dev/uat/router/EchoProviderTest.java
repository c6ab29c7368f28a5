package dev.uat.router;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.router.provider.EchoProvider;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

@Timeout(30)
class EchoProviderTest {
  @RegisterExtension final RouterFixture fixture = new RouterFixture();
  private Router router;

  @BeforeEach
  void start() throws Exception {
    // auto, with no Ollama listening: the router falls back to echo
    router =
        fixture.start(RouterFixture.settings().ollamaUrl("http://127.0.0.1:" + Http.deadPort()));
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
  void echoReplySaysItIsTheEchoProviderAndUsageIsCountedWithARealTokenizer() throws Exception {
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
    // echo reports no usage: the router counts with the cl100k_base tokenizer
    int prompt =
        TokenEstimator.input(
            java.util.List.of(
                new dev.uat.router.provider.ChatMessage("system", "You are helpful."),
                new dev.uat.router.provider.ChatMessage("user", "What is the weather like?")));
    assertThat(prompt).isEqualTo(3 + (3 + 1 + 4) + (3 + 1 + 6));
    assertThat(body.path("usage").path("prompt_tokens").asInt()).isEqualTo(prompt);
    assertThat(body.path("usage").path("completion_tokens").asInt())
        .isEqualTo(TokenEstimator.count(content));
    assertThat(body.path("usage").path("total_tokens").asInt())
        .isEqualTo(prompt + TokenEstimator.count(content));
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
