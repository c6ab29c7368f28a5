package dev.uat.router.openai;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;

/**
 * The answer of {@code POST /v1/embeddings}.
 *
 * @param object always {@code list}
 * @param data one entry per input, in order
 * @param model the model that answered
 * @param usage tokens read
 */
public record EmbeddingsResponse(String object, List<Entry> data, String model, Usage usage) {
  /**
   * One vector: a JSON array of floats, or (with {@code encoding_format: base64}) the little-endian
   * float32 bytes in base64.
   */
  public record Entry(String object, int index, Object embedding) {}

  /** Token counts (embeddings have no output tokens). */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record Usage(Integer promptTokens, Integer totalTokens) {}

  /** What OpenAI-compatible servers answer, as read from them. */
  public record Upstream(List<UpstreamEntry> data, String model, Usage usage) {}

  /** An upstream entry, always requested as floats. */
  public record UpstreamEntry(Integer index, float[] embedding) {}
}
