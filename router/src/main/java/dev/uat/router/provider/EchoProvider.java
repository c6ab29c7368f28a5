package dev.uat.router.provider;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The built-in provider for when no model server is configured: it answers, plainly labelled, with
 * the last user message, so the whole platform can be tried without a model. No network.
 *
 * <p>Its one model is {@code echo}. Token counts are whitespace-separated words (of all prompt
 * messages; of the reply), so usage accounting works end to end. {@code max_tokens} cuts the reply
 * to that many words with finish reason {@code length}; a stop sequence cuts it before the stop.
 * Thread-safe, never blocks.
 */
public final class EchoProvider implements Provider {
  /** The provider name. */
  public static final String NAME = "echo";

  /** The one model. */
  public static final String MODEL = "echo";

  /** What every reply starts with, so nobody mistakes it for a model's answer. */
  public static final String PREFIX = "[echo provider — no model server configured] You said: ";

  private final List<Model> models =
      List.of(new Model(MODEL, Instant.now().getEpochSecond(), NAME));

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Optional<URI> endpoint() {
    return Optional.empty();
  }

  @Override
  public List<Model> models(Duration timeout) {
    return models;
  }

  @Override
  public ChatResponse chat(ChatRequest request) {
    if (!request.model().equals(MODEL)) {
      throw new ProviderException(
          ProviderException.Kind.MODEL_NOT_FOUND,
          NAME,
          "404",
          "the echo provider has only the model 'echo', not '" + request.model() + "'",
          null);
    }
    String reply = PREFIX + request.lastUserMessage();
    String finishReason = "stop";
    for (String stop : request.stop()) {
      int at = stop.isEmpty() ? -1 : reply.indexOf(stop);
      if (at >= 0) {
        reply = reply.substring(0, at);
      }
    }
    String[] words = words(reply);
    if (request.maxTokens() != null && words.length > request.maxTokens()) {
      words = Arrays.copyOf(words, request.maxTokens());
      reply = String.join(" ", words);
      finishReason = "length";
    }
    int input = 0;
    for (ChatMessage message : request.messages()) {
      input += words(message.content()).length;
    }
    return new ChatResponse(
        ChatResponse.newId(),
        MODEL,
        reply,
        finishReason,
        input,
        words.length,
        Instant.now().getEpochSecond());
  }

  private static String[] words(String text) {
    String stripped = text.strip();
    return stripped.isEmpty() ? new String[0] : stripped.split("\\s+");
  }

  @Override
  public String toString() {
    return "EchoProvider";
  }
}
