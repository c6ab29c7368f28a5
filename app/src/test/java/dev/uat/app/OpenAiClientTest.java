package dev.uat.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.NotFoundException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.CompletionUsage;
import com.openai.models.models.Model;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The official OpenAI Java client, unmodified, against {@code /v1} of the all-in-one platform
 * through its edge: chat, streaming (with usage), models and errors. It authenticates with a
 * platform access token, as any user of the platform would.
 */
@Timeout(120)
class OpenAiClientTest {
  @TempDir static Path data;
  static Platform platform;
  static OpenAIClient client;

  @BeforeAll
  static void up() throws Exception {
    Map<String, String> flags = TestSettings.allInOne(data);
    platform = Platform.up(Config.load(null, Map.of(), flags));
    ChatTrace scenario = new ChatTrace(platform.edge().url(), platform.observatory().queryUrl());
    var registered =
        scenario.call(
            "POST",
            "/api/auth/register",
            null,
            "{\"email\":\"openai-client@example.com\",\"password\":\"a long password\"}");
    assertThat(registered.statusCode()).as(registered.body()).isEqualTo(201);
    String token = ChatTrace.json(registered).get("access_token").asText();
    client =
        OpenAIOkHttpClient.builder()
            .baseUrl(platform.edge().url() + "/v1")
            .apiKey(token)
            .maxRetries(0)
            .timeout(Duration.ofSeconds(30))
            .build();
  }

  @AfterAll
  static void down() {
    if (client != null) {
      client.close();
    }
    platform.close();
  }

  @Test
  void chatCompletionThroughTheEdge() {
    ChatCompletion completion =
        client
            .chat()
            .completions()
            .create(
                ChatCompletionCreateParams.builder()
                    .model("echo")
                    .addSystemMessage("Be brief.")
                    .addUserMessage("Hello from the OpenAI client")
                    .maxCompletionTokens(64)
                    .build());

    assertThat(completion.id()).startsWith("chatcmpl-");
    assertThat(completion.model()).isEqualTo("echo");
    assertThat(completion.choices()).hasSize(1);
    assertThat(completion.choices().getFirst().message().content())
        .hasValueSatisfying(c -> assertThat(c).endsWith("You said: Hello from the OpenAI client"));
    assertThat(completion.choices().getFirst().finishReason())
        .isEqualTo(ChatCompletion.Choice.FinishReason.STOP);
    CompletionUsage usage = completion.usage().orElseThrow();
    assertThat(usage.promptTokens()).isPositive();
    assertThat(usage.totalTokens()).isEqualTo(usage.promptTokens() + usage.completionTokens());
  }

  @Test
  void streamingWithUsageThroughTheEdge() {
    List<ChatCompletionChunk> chunks = new ArrayList<>();
    try (StreamResponse<ChatCompletionChunk> stream =
        client
            .chat()
            .completions()
            .createStreaming(
                ChatCompletionCreateParams.builder()
                    .model("echo")
                    .addUserMessage("stream these words please")
                    .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build())
                    .build())) {
      stream.stream().forEach(chunks::add);
    }

    StringBuilder text = new StringBuilder();
    for (ChatCompletionChunk c : chunks) {
      for (ChatCompletionChunk.Choice choice : c.choices()) {
        choice.delta().content().ifPresent(text::append);
      }
    }
    assertThat(text.toString()).endsWith("You said: stream these words please");
    assertThat(chunks.size()).isGreaterThan(5);
    assertThat(chunks).extracting(ChatCompletionChunk::id).containsOnly(chunks.getFirst().id());
    ChatCompletionChunk last = chunks.getLast();
    assertThat(last.choices()).isEmpty();
    assertThat(last.usage()).hasValueSatisfying(u -> assertThat(u.completionTokens()).isPositive());
    assertThat(chunks.get(chunks.size() - 2).choices().getFirst().finishReason())
        .hasValue(ChatCompletionChunk.Choice.FinishReason.STOP);
  }

  @Test
  void modelsAreListedAndRetrieved() {
    List<Model> models = client.models().list().data();

    assertThat(models).extracting(Model::id).contains("echo");
    assertThat(client.models().retrieve("echo").ownedBy()).isEqualTo("echo");
  }

  @Test
  void errorsArriveAsTheClientsOwnExceptions() {
    assertThatThrownBy(
            () ->
                client
                    .chat()
                    .completions()
                    .create(
                        ChatCompletionCreateParams.builder()
                            .model("no-such-model")
                            .addUserMessage("x")
                            .build()))
        .isInstanceOf(NotFoundException.class)
        .hasMessageContaining("no-such-model");
    OpenAIClient anonymous =
        OpenAIOkHttpClient.builder()
            .baseUrl(platform.edge().url() + "/v1")
            .apiKey("not-a-token")
            .maxRetries(0)
            .build();
    try {
      assertThatThrownBy(() -> anonymous.models().list()).isInstanceOf(UnauthorizedException.class);
    } finally {
      anonymous.close();
    }
  }
}
