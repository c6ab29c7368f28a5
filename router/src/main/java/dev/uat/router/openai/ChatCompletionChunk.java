package dev.uat.router.openai;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;

/**
 * A {@code chat.completion.chunk}: one Server-Sent Event of a streamed answer. The last content
 * chunk carries {@code finish_reason}; with {@code stream_options.include_usage} a final chunk with
 * empty {@code choices} carries {@code usage}.
 */
public record ChatCompletionChunk(
    String id,
    String object,
    long created,
    String model,
    List<Choice> choices,
    ChatCompletion.Usage usage) {
  /** The {@code object} value. */
  public static final String OBJECT = "chat.completion.chunk";

  /** A chunk with one choice. */
  public static ChatCompletionChunk of(
      String id, long created, String model, Delta delta, String finishReason) {
    return new ChatCompletionChunk(
        id, OBJECT, created, model, List.of(new Choice(0, delta, finishReason)), null);
  }

  /** The usage chunk: no choices. */
  public static ChatCompletionChunk usage(
      String id, long created, String model, ChatCompletion.Usage usage) {
    return new ChatCompletionChunk(id, OBJECT, created, model, List.of(), usage);
  }

  /** One choice's increment; {@code finish_reason} is written as null until the end. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record Choice(
      int index, Delta delta, @JsonInclude(JsonInclude.Include.ALWAYS) String finishReason) {}

  /** What the choice adds: the role (first chunk only) and a piece of text. */
  public record Delta(String role, String content) {
    public static final Delta EMPTY = new Delta(null, null);
  }
}
