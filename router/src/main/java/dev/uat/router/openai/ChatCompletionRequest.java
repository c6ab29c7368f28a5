package dev.uat.router.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.List;

/**
 * A {@code POST /v1/chat/completions} body. Every field may be absent ({@code null}); the router
 * validates. {@code content} and {@code stop} keep their JSON form because OpenAI allows several
 * shapes (a string or an array of text parts; a string or an array of strings).
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ChatCompletionRequest(
    String model,
    List<Message> messages,
    Double temperature,
    Double topP,
    Integer maxTokens,
    Integer maxCompletionTokens,
    JsonNode stop,
    Long seed,
    Boolean stream,
    StreamOptions streamOptions,
    Double frequencyPenalty,
    Double presencePenalty,
    String user,
    Integer n,
    JsonNode tools) {

  /** {@code stream_options}: {@code include_usage} asks for a last chunk with the usage. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record StreamOptions(Boolean includeUsage) {}

  /**
   * One message: {@code role} and {@code content} (a string, or an array of {@code
   * {"type":"text","text":…}} parts).
   */
  public record Message(String role, JsonNode content) {
    /** A message with plain-text content. */
    public static Message text(String role, String content) {
      return new Message(role, TextNode.valueOf(content));
    }
  }
}
