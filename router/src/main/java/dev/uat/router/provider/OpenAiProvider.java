package dev.uat.router.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.uat.router.openai.ChatCompletion;
import dev.uat.router.openai.ChatCompletionRequest;
import dev.uat.router.openai.EmbeddingsResponse;
import dev.uat.router.openai.ModelList;
import dev.uat.web.Json;
import dev.uat.web.Sse;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import okhttp3.Call;

/**
 * Any OpenAI-compatible server (OpenAI, vLLM, llama.cpp, LM Studio, LiteLLM, …): {@code POST
 * {base}/chat/completions} (whole, or streamed as Server-Sent Events with {@code
 * stream_options.include_usage}), {@code GET {base}/models} and {@code POST {base}/embeddings},
 * with {@code Authorization: Bearer <key>} when a key is set. Token counts come from {@code usage}.
 *
 * <p>Thread-safe; calls block for at most the {@link Timeouts}. {@link #toString()} never shows the
 * key.
 */
public final class OpenAiProvider extends HttpProvider {
  /** The provider name. */
  public static final String NAME = "openai";

  private static final String DONE = "[DONE]";

  /**
   * @param baseUrl e.g. {@code http://127.0.0.1:8080/v1} (the part before {@code
   *     /chat/completions})
   * @param apiKey the bearer token, or null for none
   * @param client the (traced) HTTP client to call with
   * @param timeouts how long calls may take
   */
  public OpenAiProvider(String baseUrl, String apiKey, Call.Factory client, Timeouts timeouts) {
    super(NAME, baseUrl, apiKey, client, timeouts);
  }

  @Override
  public List<Model> models(Duration timeout) {
    ModelList list = http.get("/models", timeout, ModelList.class);
    if (list.data() == null) {
      throw invalid("listed no 'data' array");
    }
    List<Model> models = new ArrayList<>(list.data().size());
    for (ModelList.Entry entry : list.data()) {
      if (entry.id() != null) {
        models.add(new Model(entry.id(), entry.created(), NAME));
      }
    }
    return List.copyOf(models);
  }

  private static ChatCompletionRequest body(ChatRequest request, boolean stream) {
    List<ChatCompletionRequest.Message> messages = new ArrayList<>(request.messages().size());
    for (ChatMessage m : request.messages()) {
      messages.add(ChatCompletionRequest.Message.text(m.role(), m.content()));
    }
    JsonNode stops = null;
    if (!request.stop().isEmpty()) {
      ArrayNode array = JsonNodeFactory.instance.arrayNode();
      request.stop().forEach(array::add);
      stops = array;
    }
    return new ChatCompletionRequest(
        request.model(),
        messages,
        request.temperature(),
        request.topP(),
        request.maxTokens(),
        null,
        stops,
        request.seed(),
        stream,
        stream ? new ChatCompletionRequest.StreamOptions(true) : null,
        request.frequencyPenalty(),
        request.presencePenalty(),
        null,
        null,
        null);
  }

  @Override
  public ChatResponse chat(ChatRequest request) {
    ChatCompletion answer =
        http.post(
            "/chat/completions", body(request, false), timeouts.total(), ChatCompletion.class);
    if (answer.choices() == null
        || answer.choices().isEmpty()
        || answer.choices().getFirst().message() == null) {
      throw invalid("answered POST /chat/completions without a choice");
    }
    ChatCompletion.Choice choice = answer.choices().getFirst();
    ChatCompletion.Usage usage = answer.usage();
    return new ChatResponse(
        answer.id() != null ? answer.id() : ChatResponse.newId(),
        answer.model() != null ? answer.model() : request.model(),
        choice.message().content() == null ? "" : choice.message().content(),
        choice.finishReason() != null ? choice.finishReason() : "stop",
        usage == null ? ChatResponse.UNKNOWN : count(usage.promptTokens()),
        usage == null ? ChatResponse.UNKNOWN : count(usage.completionTokens()),
        answer.created() > 0 ? answer.created() : Instant.now().getEpochSecond(),
        false);
  }

  @Override
  public ChatStream stream(ChatRequest request) {
    UpstreamHttp.Lines lines =
        http.postStream("/chat/completions", body(request, true), timeouts, "text/event-stream");
    return new UpstreamChatStream(lines, request.model()) {
      private final Sse.Reader events = new Sse.Reader(lines::readLine);

      @Override
      String read() {
        try {
          Sse.Event event = events.next();
          return event == null ? null : event.data();
        } catch (IOException e) { // lines.readLine throws ProviderException instead
          throw lines.fail(ProviderException.Kind.FAILED, "broken_stream", "unreadable", e);
        }
      }

      @Override
      String parse(String data) {
        if (data.equals(DONE)) {
          ended = true;
          return null;
        }
        JsonNode json;
        ChatCompletion chunk;
        try {
          json = Json.MAPPER.readTree(data);
          String error = UpstreamHttp.errorMessage(json);
          if (error != null) {
            lines.close();
            throw lines.fail(
                ProviderException.Kind.FAILED,
                "upstream_error",
                "failed while streaming: " + error,
                null);
          }
          chunk = Json.MAPPER.treeToValue(json, ChatCompletion.class);
        } catch (IOException e) {
          lines.close();
          throw lines.fail(
              ProviderException.Kind.FAILED, "invalid_response", "streamed an unreadable event", e);
        }
        if (chunk.id() != null) {
          id = chunk.id();
        }
        if (chunk.model() != null) {
          model = chunk.model();
        }
        if (chunk.created() > 0) {
          created = chunk.created();
        }
        if (chunk.usage() != null) {
          inputTokens = count(chunk.usage().promptTokens());
          outputTokens = count(chunk.usage().completionTokens());
        }
        if (chunk.choices() == null || chunk.choices().isEmpty()) {
          return null;
        }
        ChatCompletion.Choice choice = chunk.choices().getFirst();
        if (choice.finishReason() != null) {
          finishReason = choice.finishReason();
        }
        return choice.delta() == null ? null : choice.delta().content();
      }
    };
  }

  @Override
  public EmbeddingResponse embed(EmbeddingRequest request) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("model", request.model());
    body.put("input", request.input());
    body.put("encoding_format", "float");
    if (request.dimensions() != null) {
      body.put("dimensions", request.dimensions());
    }
    EmbeddingsResponse.Upstream answer =
        http.post("/embeddings", body, timeouts.total(), EmbeddingsResponse.Upstream.class);
    if (answer.data() == null || answer.data().size() != request.input().size()) {
      throw invalid("answered POST /embeddings without one vector per input");
    }
    float[][] vectors = new float[request.input().size()][];
    for (int i = 0; i < answer.data().size(); i++) {
      EmbeddingsResponse.UpstreamEntry entry = answer.data().get(i);
      int index = entry.index() == null ? i : entry.index();
      if (index < 0 || index >= vectors.length || entry.embedding() == null) {
        throw invalid("answered POST /embeddings with a bad entry");
      }
      vectors[index] = entry.embedding();
    }
    return new EmbeddingResponse(
        answer.model() != null ? answer.model() : request.model(),
        List.of(vectors),
        answer.usage() == null ? ChatResponse.UNKNOWN : count(answer.usage().promptTokens()));
  }

  private static int count(Integer tokens) {
    return tokens == null ? ChatResponse.UNKNOWN : tokens;
  }

  @Override
  public String toString() {
    return "OpenAiProvider{" + http.base() + "}";
  }
}
