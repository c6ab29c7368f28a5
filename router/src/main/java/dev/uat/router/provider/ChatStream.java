package dev.uat.router.provider;

/**
 * A chat answer arriving in pieces. Pull with {@link #next()} until it returns null, then read
 * {@link #result()}. Not thread-safe: one consumer pulls; {@link #close()} may be called from any
 * thread and aborts the upstream call.
 *
 * <p>Every failure, before or after the first piece, is a {@link ProviderException}.
 */
public interface ChatStream extends AutoCloseable {
  /**
   * Longest answer text collected from a streamed upstream (1 Mi chars, about 2 MiB held): a longer
   * one is cut there and ends with finish reason {@code length}, like a {@code max_tokens} limit,
   * so what a client asks a model to write cannot grow the heap without bound.
   */
  int MAX_ANSWER_CHARS = 1 << 20;

  /**
   * The next piece of the assistant's text (never empty), or null when the answer is complete.
   * Blocks until a piece arrives.
   *
   * @throws ProviderException when the upstream fails, breaks off or times out
   */
  String next();

  /** The response id; known once {@link #next()} returned the first piece or null. */
  String id();

  /** The model that answers; known once {@link #next()} returned the first piece or null. */
  String model();

  /**
   * The whole answer (text, finish reason, token counts), once {@link #next()} returned null.
   *
   * @throws IllegalStateException before the end
   */
  ChatResponse result();

  /** Stops the upstream call; idempotent, never throws. */
  @Override
  void close();

  /** A stream over an answer that is already complete, in one piece. */
  static ChatStream of(ChatResponse response) {
    return new ChatStream() {
      private boolean sent;

      @Override
      public String next() {
        if (sent || response.content().isEmpty()) {
          sent = true;
          return null;
        }
        sent = true;
        return response.content();
      }

      @Override
      public String id() {
        return response.id();
      }

      @Override
      public String model() {
        return response.model();
      }

      @Override
      public ChatResponse result() {
        return response;
      }

      @Override
      public void close() {}
    };
  }
}
