package dev.uat.router.provider;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import dev.uat.web.Json;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import okhttp3.Call;

/**
 * Ollama through its native API: {@code POST /api/chat} (whole, or streamed as NDJSON), {@code GET
 * /api/tags} and {@code POST /api/embed}. Token counts come from {@code prompt_eval_count} and
 * {@code eval_count}; {@code done_reason: "length"} becomes finish reason {@code length}.
 *
 * <p>Thread-safe; calls block for at most the {@link Timeouts}.
 */
public final class OllamaProvider extends HttpProvider {
  /** The provider name. */
  public static final String NAME = "ollama";

  /**
   * @param baseUrl e.g. {@code http://127.0.0.1:11434}
   * @param client the (traced) HTTP client to call with
   * @param timeouts how long calls may take
   */
  public OllamaProvider(String baseUrl, Call.Factory client, Timeouts timeouts) {
    super(NAME, baseUrl, null, client, timeouts);
  }

  @Override
  public List<Model> models(Duration timeout) {
    Tags tags = http.get("/api/tags", timeout, Tags.class);
    if (tags.models() == null) {
      throw invalid("listed no 'models' array");
    }
    List<Model> models = new ArrayList<>(tags.models().size());
    for (Tag tag : tags.models()) {
      String id = tag.name() != null ? tag.name() : tag.model();
      if (id != null) {
        models.add(new Model(id, epochSeconds(tag.modifiedAt(), 0), NAME));
      }
    }
    return List.copyOf(models);
  }

  private static ChatBody body(ChatRequest request, boolean stream) {
    List<Message> messages = new ArrayList<>(request.messages().size());
    for (ChatMessage m : request.messages()) {
      messages.add(new Message(m.role(), m.content()));
    }
    Options options =
        new Options(
            request.temperature(),
            request.topP(),
            request.maxTokens(),
            request.stop().isEmpty() ? null : request.stop(),
            request.seed(),
            request.frequencyPenalty(),
            request.presencePenalty());
    return new ChatBody(request.model(), messages, stream, options.isEmpty() ? null : options);
  }

  @Override
  public ChatResponse chat(ChatRequest request) {
    Answer answer = http.post("/api/chat", body(request, false), timeouts.total(), Answer.class);
    if (answer.message() == null || answer.message().content() == null) {
      throw invalid("answered POST /api/chat without a message");
    }
    return new ChatResponse(
        ChatResponse.newId(),
        answer.model() != null ? answer.model() : request.model(),
        answer.message().content(),
        "length".equals(answer.doneReason()) ? "length" : "stop",
        answer.promptEvalCount() != null ? answer.promptEvalCount() : ChatResponse.UNKNOWN,
        answer.evalCount() != null ? answer.evalCount() : ChatResponse.UNKNOWN,
        epochSeconds(answer.createdAt(), Instant.now().getEpochSecond()),
        false);
  }

  @Override
  public ChatStream stream(ChatRequest request) {
    UpstreamHttp.Lines lines =
        http.postStream("/api/chat", body(request, true), timeouts, "application/x-ndjson");
    return new UpstreamChatStream(lines, request.model()) {
      private boolean createdSet;

      @Override
      String parse(String line) {
        Answer part;
        try {
          part = Json.MAPPER.readValue(line, Answer.class);
        } catch (IOException e) {
          lines.close();
          throw lines.fail(
              ProviderException.Kind.FAILED, "invalid_response", "streamed an unreadable line", e);
        }
        if (part.error() != null) {
          lines.close();
          throw lines.fail(
              ProviderException.Kind.FAILED,
              "upstream_error",
              "failed while streaming: " + part.error(),
              null);
        }
        if (part.model() != null) {
          model = part.model();
        }
        if (!createdSet && part.createdAt() != null) {
          created = epochSeconds(part.createdAt(), created);
          createdSet = true;
        }
        if (Boolean.TRUE.equals(part.done())) {
          ended = true;
          finishReason = "length".equals(part.doneReason()) ? "length" : "stop";
          if (part.promptEvalCount() != null) {
            inputTokens = part.promptEvalCount();
          }
          if (part.evalCount() != null) {
            outputTokens = part.evalCount();
          }
        }
        return part.message() == null ? null : part.message().content();
      }
    };
  }

  @Override
  public EmbeddingResponse embed(EmbeddingRequest request) {
    Embedded answer =
        http.post(
            "/api/embed",
            new EmbedBody(request.model(), request.input(), request.dimensions()),
            timeouts.total(),
            Embedded.class);
    if (answer.embeddings() == null || answer.embeddings().size() != request.input().size()) {
      throw invalid("answered POST /api/embed without one vector per input");
    }
    return new EmbeddingResponse(
        answer.model() != null ? answer.model() : request.model(),
        answer.embeddings(),
        answer.promptEvalCount() != null ? answer.promptEvalCount() : ChatResponse.UNKNOWN);
  }

  @Override
  public String toString() {
    return "OllamaProvider{" + http.base() + "}";
  }

  private static long epochSeconds(String timestamp, long fallback) {
    if (timestamp == null) {
      return fallback;
    }
    try {
      return OffsetDateTime.parse(timestamp).toEpochSecond();
    } catch (DateTimeParseException e) {
      return fallback;
    }
  }

  // Ollama's wire format (https://github.com/ollama/ollama/blob/main/docs/api.md)

  record Message(String role, String content) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Options(
      Double temperature,
      Double topP,
      Integer numPredict,
      List<String> stop,
      Long seed,
      Double frequencyPenalty,
      Double presencePenalty) {
    boolean isEmpty() {
      return temperature == null
          && topP == null
          && numPredict == null
          && stop == null
          && seed == null
          && frequencyPenalty == null
          && presencePenalty == null;
    }
  }

  record ChatBody(String model, List<Message> messages, boolean stream, Options options) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Answer(
      String model,
      String createdAt,
      Message message,
      Boolean done,
      String doneReason,
      Integer promptEvalCount,
      Integer evalCount,
      String error) {}

  record Tags(List<Tag> models) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Tag(String name, String model, String modifiedAt) {}

  record EmbedBody(String model, List<String> input, Integer dimensions) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Embedded(String model, List<float[]> embeddings, Integer promptEvalCount) {}
}
