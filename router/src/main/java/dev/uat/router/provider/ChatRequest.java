package dev.uat.router.provider;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * A validated chat request in provider-neutral form. The optional sampling parameters are {@code
 * null} when the caller did not give them, so that the provider's own defaults apply.
 *
 * @param model the provider's own model name
 * @param messages the conversation, never empty
 * @param temperature sampling temperature, or null
 * @param topP nucleus sampling mass, or null
 * @param maxTokens the most tokens to generate, or null
 * @param stop stop sequences, empty for none
 * @param seed sampling seed, or null
 */
public record ChatRequest(
    String model,
    List<ChatMessage> messages,
    Double temperature,
    Double topP,
    Integer maxTokens,
    List<String> stop,
    Long seed) {
  public ChatRequest {
    requireNonNull(model, "model");
    messages = List.copyOf(messages);
    if (messages.isEmpty()) {
      throw new IllegalArgumentException("messages must not be empty");
    }
    stop = stop == null ? List.of() : List.copyOf(stop);
  }

  /** A request with only a model and messages. */
  public static ChatRequest of(String model, List<ChatMessage> messages) {
    return new ChatRequest(model, messages, null, null, null, List.of(), null);
  }

  /** The content of the last {@code user} message, or empty when there is none. */
  public String lastUserMessage() {
    for (int i = messages.size() - 1; i >= 0; i--) {
      if (messages.get(i).role().equals("user")) {
        return messages.get(i).content();
      }
    }
    return "";
  }
}
