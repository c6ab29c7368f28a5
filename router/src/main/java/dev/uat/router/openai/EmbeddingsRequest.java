package dev.uat.router.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/**
 * A {@code POST /v1/embeddings} body; {@code input} is a string or an array of strings.
 *
 * @param encodingFormat {@code float} (default) or {@code base64}
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record EmbeddingsRequest(
    String model, JsonNode input, String encodingFormat, Integer dimensions, String user) {}
