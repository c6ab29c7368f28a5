package dev.uat.router.provider;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A source of chat completions: a model server, or the built-in echo.
 *
 * <p>Implementations are thread-safe and blocking (the router calls them on virtual threads). Every
 * failure is a {@link ProviderException}; nothing else is thrown for upstream trouble. Calls honour
 * the provider's {@link Timeouts}.
 */
public interface Provider {
  /**
   * The provider's kind as used in {@code gen_ai.provider.name}: "ollama", "openai", "echo".
   * Several configured instances may share a kind.
   */
  String name();

  /**
   * Where the provider's server is, for {@code server.address}/{@code server.port}; empty for none.
   */
  Optional<URI> endpoint();

  /**
   * The models the provider serves now, by their own names.
   *
   * @param timeout the longest to wait for the answer
   * @throws ProviderException when the provider cannot be asked or answers nonsense
   */
  List<Model> models(Duration timeout);

  /**
   * One non-streaming chat completion.
   *
   * @throws ProviderException when there is no answer; never returns invented text
   */
  ChatResponse chat(ChatRequest request);

  /**
   * A streamed chat completion: returns once the upstream accepted the request (its response
   * headers arrived); the pieces follow through {@link ChatStream#next()}.
   *
   * @throws ProviderException when the upstream cannot be reached or refuses the request
   */
  ChatStream stream(ChatRequest request);

  /**
   * Embeddings of the inputs.
   *
   * @throws ProviderException {@link ProviderException.Kind#REJECTED} when the provider has none
   */
  default EmbeddingResponse embed(EmbeddingRequest request) {
    throw new ProviderException(
        ProviderException.Kind.REJECTED,
        name(),
        "unsupported",
        "the " + name() + " provider does not make embeddings",
        null);
  }
}
