package dev.uat.router.provider;

import dev.uat.router.openai.ChatCompletion;
import dev.uat.router.openai.ChatCompletionRequest;
import dev.uat.router.openai.ModelList;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Any OpenAI-compatible server (OpenAI, vLLM, llama.cpp, LM Studio, LiteLLM, …): {@code POST
 * {base}/chat/completions} and {@code GET {base}/models}, with {@code Authorization: Bearer <key>}
 * when a key is set. Token counts come from {@code usage}.
 *
 * <p>Thread-safe; calls block for at most the request timeout. {@link #toString()} never shows the
 * key.
 */
public final class OpenAiProvider implements Provider {
  /** The provider name. */
  public static final String NAME = "openai";

  private final UpstreamHttp http;
  private final Duration requestTimeout;

  /**
   * @param baseUrl e.g. {@code http://127.0.0.1:8080/v1} (the part before {@code
   *     /chat/completions})
   * @param apiKey the bearer token, or null for none
   * @param client the (traced) HTTP client to call with
   * @param requestTimeout the longest a chat call may take
   */
  public OpenAiProvider(String baseUrl, String apiKey, HttpClient client, Duration requestTimeout) {
    this.http = new UpstreamHttp(NAME, UpstreamHttp.baseUri(baseUrl), client, apiKey);
    this.requestTimeout = requestTimeout;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Optional<URI> endpoint() {
    return Optional.of(http.base());
  }

  @Override
  public List<Model> models(Duration timeout) {
    ModelList list = http.get("/models", timeout, ModelList.class);
    if (list.data() == null) {
      throw http.fail(
          ProviderException.Kind.FAILED, "invalid_response", "listed no 'data' array", null);
    }
    List<Model> models = new ArrayList<>(list.data().size());
    for (ModelList.Entry entry : list.data()) {
      if (entry.id() != null) {
        models.add(new Model(entry.id(), entry.created(), NAME));
      }
    }
    return List.copyOf(models);
  }

  @Override
  public ChatResponse chat(ChatRequest request) {
    List<ChatCompletionRequest.Message> messages = new ArrayList<>(request.messages().size());
    for (ChatMessage m : request.messages()) {
      messages.add(ChatCompletionRequest.Message.text(m.role(), m.content()));
    }
    ChatCompletionRequest body =
        ChatCompletionRequest.of(
            request.model(),
            messages,
            request.temperature(),
            request.topP(),
            request.maxTokens(),
            request.stop(),
            request.seed());
    ChatCompletion answer =
        http.post("/chat/completions", body, requestTimeout, ChatCompletion.class);
    if (answer.choices() == null
        || answer.choices().isEmpty()
        || answer.choices().getFirst().message() == null) {
      throw http.fail(
          ProviderException.Kind.FAILED,
          "invalid_response",
          "answered POST /chat/completions without a choice",
          null);
    }
    ChatCompletion.Choice choice = answer.choices().getFirst();
    ChatCompletion.Usage usage = answer.usage();
    return new ChatResponse(
        answer.id() != null ? answer.id() : ChatResponse.newId(),
        answer.model() != null ? answer.model() : request.model(),
        choice.message().content() != null ? choice.message().content() : "",
        choice.finishReason() != null ? choice.finishReason() : "stop",
        count(usage == null ? null : usage.promptTokens()),
        count(usage == null ? null : usage.completionTokens()),
        answer.created() > 0 ? answer.created() : Instant.now().getEpochSecond());
  }

  private static int count(Integer tokens) {
    return tokens == null ? ChatResponse.UNKNOWN : tokens;
  }

  @Override
  public String toString() {
    return "OpenAiProvider{" + http.base() + "}";
  }
}
