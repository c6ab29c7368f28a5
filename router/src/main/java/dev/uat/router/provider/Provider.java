package dev.uat.router.provider;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A source of chat completions: a model server, or the built-in echo.
 *
 * <p>Implementations are thread-safe and blocking (the router calls them on virtual threads). Every
 * failure is a {@link ProviderException}; nothing else is thrown for upstream trouble.
 */
public interface Provider {
  /** The provider's name as used in {@code gen_ai.provider.name}: "ollama", "openai", "echo". */
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
}
