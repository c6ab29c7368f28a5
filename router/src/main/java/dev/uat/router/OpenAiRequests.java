package dev.uat.router;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.router.openai.ChatCompletionRequest;
import dev.uat.router.provider.ChatMessage;
import dev.uat.router.provider.ChatRequest;
import dev.uat.web.HttpError;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Validation of the OpenAI wire requests into the router's own: every 400 names the field that is
 * wrong. Stateless.
 */
final class OpenAiRequests {
  private OpenAiRequests() {}

  /** Most messages one request may carry. */
  static final int MAX_MESSAGES = 1000;

  /** Most stop sequences one request may carry. */
  static final int MAX_STOP_SEQUENCES = 16;

  /**
   * Longest model name a request may send (the names reach spans, usage records and, for listed
   * models only, metric labels); longer is a 400, counted.
   */
  static final int MAX_MODEL_LENGTH = 256;

  /** Most inputs one embeddings request may carry. */
  static final int MAX_EMBEDDING_INPUTS = 2048;

  private static final Set<String> ROLES = Set.of("system", "user", "assistant", "tool");

  static List<String> inputs(JsonNode input) {
    if (input == null || input.isNull()) {
      throw HttpError.invalid("field 'input' is required");
    }
    if (input.isTextual()) {
      return List.of(input.asText());
    }
    if (!input.isArray() || input.isEmpty() || input.size() > MAX_EMBEDDING_INPUTS) {
      throw HttpError.invalid(
          "field 'input' must be a string or an array of 1 to "
              + MAX_EMBEDDING_INPUTS
              + " strings");
    }
    List<String> out = new ArrayList<>(input.size());
    for (int i = 0; i < input.size(); i++) {
      if (!input.get(i).isTextual()) {
        throw HttpError.invalid(
            "field 'input[" + i + "]' must be a string (token arrays are not supported)");
      }
      out.add(input.get(i).asText());
    }
    return out;
  }

  /** Validates the wire request; 400 names what is wrong. The model is resolved apart. */
  static ChatRequest chat(ChatCompletionRequest body) {
    if (body.n() != null && body.n() != 1) {
      throw HttpError.badRequest(
          "unsupported", "field 'n' must be 1; several choices are not supported");
    }
    if (body.tools() != null && body.tools().isArray() && !body.tools().isEmpty()) {
      throw HttpError.badRequest("unsupported", "tool calling is not supported");
    }
    if (body.model() != null && body.model().isBlank()) {
      throw HttpError.invalid(
          "field 'model' must not be blank; leave it out for the default model");
    }
    if (body.model() != null && body.model().length() > MAX_MODEL_LENGTH) {
      throw tooLong();
    }
    List<ChatCompletionRequest.Message> wire = body.messages();
    if (wire == null || wire.isEmpty()) {
      throw HttpError.invalid("field 'messages' is required and must be a non-empty array");
    }
    if (wire.size() > MAX_MESSAGES) {
      throw HttpError.invalid(
          "field 'messages' holds "
              + wire.size()
              + " messages; at most "
              + MAX_MESSAGES
              + " are accepted");
    }
    List<ChatMessage> messages = new ArrayList<>(wire.size());
    for (int i = 0; i < wire.size(); i++) {
      messages.add(message(wire.get(i), "messages[" + i + "]"));
    }
    Double temperature = body.temperature();
    if (temperature != null && (temperature < 0 || temperature > 2)) {
      throw HttpError.invalid("field 'temperature' must be between 0 and 2");
    }
    if (body.topP() != null && (body.topP() <= 0 || body.topP() > 1)) {
      throw HttpError.invalid("field 'top_p' must be greater than 0 and at most 1");
    }
    penalty(body.frequencyPenalty(), "frequency_penalty");
    penalty(body.presencePenalty(), "presence_penalty");
    Integer maxTokens = body.maxCompletionTokens();
    String maxTokensField = "max_completion_tokens";
    if (maxTokens == null) {
      maxTokens = body.maxTokens();
      maxTokensField = "max_tokens";
    }
    if (maxTokens != null && maxTokens < 1) {
      throw HttpError.invalid("field '" + maxTokensField + "' must be at least 1");
    }
    List<String> stop = stop(body.stop());
    return new ChatRequest(
        body.model() == null ? "" : body.model(),
        messages,
        temperature,
        body.topP(),
        maxTokens,
        stop,
        body.seed(),
        body.frequencyPenalty(),
        body.presencePenalty());
  }

  private static void penalty(Double value, String field) {
    if (value != null && (value < -2 || value > 2)) {
      throw HttpError.invalid("field '" + field + "' must be between -2 and 2");
    }
  }

  private static ChatMessage message(ChatCompletionRequest.Message m, String field) {
    if (m == null) {
      throw HttpError.invalid("field '" + field + "' must be an object with role and content");
    }
    if (m.role() == null) {
      throw HttpError.invalid("field '" + field + ".role' is required");
    }
    if (!ROLES.contains(m.role())) {
      throw HttpError.invalid(
          "field '"
              + field
              + ".role' must be one of system, user, assistant, tool; got '"
              + abbreviate(m.role())
              + "'");
    }
    return new ChatMessage(m.role(), content(m.content(), field + ".content"));
  }

  /** A string, or an array of {@code {"type":"text","text":…}} parts joined by newlines. */
  private static String content(JsonNode content, String field) {
    if (content == null || content.isNull()) {
      throw HttpError.invalid("field '" + field + "' is required");
    }
    if (content.isTextual()) {
      return content.asText();
    }
    if (!content.isArray()) {
      throw HttpError.invalid("field '" + field + "' must be a string or an array of text parts");
    }
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < content.size(); i++) {
      JsonNode part = content.get(i);
      String where = field + "[" + i + "]";
      String type = part.path("type").asText("");
      if (!type.equals("text")) {
        throw HttpError.invalid(
            "field '"
                + where
                + ".type' must be 'text'"
                + (type.isEmpty() ? "" : "; '" + abbreviate(type) + "' parts are not supported"));
      }
      if (!part.path("text").isTextual()) {
        throw HttpError.invalid("field '" + where + ".text' must be a string");
      }
      if (i > 0) {
        text.append('\n');
      }
      text.append(part.path("text").asText());
    }
    return text.toString();
  }

  private static List<String> stop(JsonNode stop) {
    if (stop == null || stop.isNull()) {
      return List.of();
    }
    if (stop.isTextual()) {
      return List.of(stop.asText());
    }
    if (!stop.isArray() || stop.size() > MAX_STOP_SEQUENCES) {
      throw HttpError.invalid(
          "field 'stop' must be a string or an array of at most "
              + MAX_STOP_SEQUENCES
              + " strings");
    }
    List<String> out = new ArrayList<>(stop.size());
    for (int i = 0; i < stop.size(); i++) {
      if (!stop.get(i).isTextual()) {
        throw HttpError.invalid("field 'stop[" + i + "]' must be a string");
      }
      out.add(stop.get(i).asText());
    }
    return out;
  }

  static HttpError tooLong() {
    return HttpError.invalid(
        "the model name is longer than " + MAX_MODEL_LENGTH + " characters; no model is named so");
  }

  static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "…";
  }
}
