package dev.uat.router.openai;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;

/**
 * A {@code chat.completion} object: the non-streaming answer of {@code /v1/chat/completions}. Also
 * read from upstream chunks, whose choices carry a {@code delta} instead of a {@code message}.
 *
 * @param id {@code chatcmpl-…}
 * @param object always {@code chat.completion}
 * @param created epoch seconds
 * @param model the model that answered
 * @param choices one choice
 * @param usage token counts; fields the provider did not report are left out
 */
public record ChatCompletion(
    String id, String object, long created, String model, List<Choice> choices, Usage usage) {
  /** The {@code object} value. */
  public static final String OBJECT = "chat.completion";

  /** One generated answer ({@code delta} only in upstream stream chunks). */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record Choice(int index, Message message, Message delta, String finishReason) {
    public Choice(int index, Message message, String finishReason) {
      this(index, message, null, finishReason);
    }
  }

  /** The assistant's message. {@code content} may be null upstream (tool calls). */
  public record Message(String role, String content) {}

  /** Token counts. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record Usage(Integer promptTokens, Integer completionTokens, Integer totalTokens) {}
}
