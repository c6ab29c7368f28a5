package dev.uat.router.provider;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * A validated chat request in provider-neutral form. The optional sampling parameters are {@code
 * null} when the caller did not give them, so that the provider's own defaults apply.
 *
 * @param model the model name: as requested on the way in, the provider's own once routed
 * @param messages the conversation, never empty
 * @param temperature sampling temperature, or null
 * @param topP nucleus sampling mass, or null
 * @param maxTokens the most tokens to generate, or null
 * @param stop stop sequences, empty for none
 * @param seed sampling seed, or null
 * @param frequencyPenalty or null
 * @param presencePenalty or null
 */
public record ChatRequest(
    String model,
    List<ChatMessage> messages,
    Double temperature,
    Double topP,
    Integer maxTokens,
    List<String> stop,
    Long seed,
    Double frequencyPenalty,
    Double presencePenalty) {
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
    return new ChatRequest(model, messages, null, null, null, List.of(), null, null, null);
  }

  /** The same request for another model (routing names the deployment's own model). */
  public ChatRequest withModel(String model) {
    if (model.equals(this.model)) {
      return this;
    }
    return new ChatRequest(
        model,
        messages,
        temperature,
        topP,
        maxTokens,
        stop,
        seed,
        frequencyPenalty,
        presencePenalty);
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
