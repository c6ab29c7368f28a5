package dev.uat.router.provider;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The built-in provider for when no model server is configured: it answers, plainly labelled, with
 * the last user message, so the whole platform can be tried without a model. No network.
 *
 * <p>Its one model is {@code echo}. It reports no token counts (it has no tokenizer of its own):
 * the router estimates them, as for any provider that reports none. {@code max_tokens} cuts the
 * reply to that many words with finish reason {@code length}; a stop sequence cuts it before the
 * stop. Streams word by word. Thread-safe, never blocks.
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
    if (request.maxTokens() != null) {
      String[] words = words(reply);
      if (words.length > request.maxTokens()) {
        reply = String.join(" ", List.of(words).subList(0, request.maxTokens()));
        finishReason = "length";
      }
    }
    return new ChatResponse(
        ChatResponse.newId(),
        MODEL,
        reply,
        finishReason,
        ChatResponse.UNKNOWN,
        ChatResponse.UNKNOWN,
        Instant.now().getEpochSecond(),
        false);
  }

  @Override
  public ChatStream stream(ChatRequest request) {
    ChatResponse whole = chat(request);
    String text = whole.content();
    return new ChatStream() {
      private int at;
      private boolean done;

      @Override
      public String next() {
        if (done || at >= text.length()) {
          done = true;
          return null;
        }
        int space = text.indexOf(' ', at);
        int end = space < 0 ? text.length() : space + 1;
        String piece = text.substring(at, end);
        at = end;
        return piece;
      }

      @Override
      public String id() {
        return whole.id();
      }

      @Override
      public String model() {
        return whole.model();
      }

      @Override
      public ChatResponse result() {
        if (!done) {
          throw new IllegalStateException("the stream has not ended");
        }
        return whole;
      }

      @Override
      public void close() {
        done = true;
      }
    };
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
