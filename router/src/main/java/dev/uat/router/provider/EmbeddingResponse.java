package dev.uat.router.provider;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * Vectors for each input, in input order.
 *
 * @param model the model that answered
 * @param vectors one per input
 * @param inputTokens tokens read, or {@link ChatResponse#UNKNOWN}
 * @param tokensEstimated whether {@code inputTokens} is the router's estimate
 */
public record EmbeddingResponse(
    String model, List<float[]> vectors, int inputTokens, boolean tokensEstimated) {
  public EmbeddingResponse {
    requireNonNull(model, "model");
    vectors = List.copyOf(vectors);
  }

  /** As the provider reported it. */
  public EmbeddingResponse(String model, List<float[]> vectors, int inputTokens) {
    this(model, vectors, inputTokens, false);
  }

  /** The size of the vectors (0 when there are none). */
  public int dimensions() {
    return vectors.isEmpty() ? 0 : vectors.getFirst().length;
  }
}
