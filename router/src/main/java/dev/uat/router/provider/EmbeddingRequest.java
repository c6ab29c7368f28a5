package dev.uat.router.provider;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * A validated embeddings request.
 *
 * @param model the provider's own model name
 * @param input the texts, never empty
 * @param dimensions the wanted vector size, or null for the model's own
 */
public record EmbeddingRequest(String model, List<String> input, Integer dimensions) {
  public EmbeddingRequest {
    requireNonNull(model, "model");
    input = List.copyOf(input);
    if (input.isEmpty()) {
      throw new IllegalArgumentException("input must not be empty");
    }
  }

  public EmbeddingRequest withModel(String model) {
    return new EmbeddingRequest(model, input, dimensions);
  }
}
