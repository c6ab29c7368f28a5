package dev.uat.router;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.router.openai.ChatCompletion;
import dev.uat.router.openai.ChatCompletionRequest;
import dev.uat.router.openai.ModelList;
import dev.uat.router.provider.ChatMessage;
import dev.uat.router.provider.ChatRequest;
import dev.uat.router.provider.ChatResponse;
import dev.uat.router.provider.Model;
import dev.uat.router.provider.ProviderException;
import dev.uat.web.HttpError;
import dev.uat.web.Json;
import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The OpenAI-compatible HTTP API: {@code POST /v1/chat/completions}, {@code GET /v1/models} and
 * {@code GET /v1/models/{model}}. Validates requests with field-level messages, maps provider
 * failures to honest 4xx/5xx answers, and reports the router's own overhead in {@code
 * X-Router-Overhead-Micros}.
 */
final class OpenAiEndpoints {
  /** Most messages one request may carry. */
  static final int MAX_MESSAGES = 1000;

  /** Most stop sequences one request may carry. */
  static final int MAX_STOP_SEQUENCES = 16;

  static final String OVERHEAD_HEADER = "X-Router-Overhead-Micros";

  private static final Set<String> ROLES = Set.of("system", "user", "assistant", "tool");

  private final ModelCatalog catalog;
  private final GenAiTelemetry genAi;
  private final String providerName;

  OpenAiEndpoints(ModelCatalog catalog, GenAiTelemetry genAi, String providerName) {
    this.catalog = catalog;
    this.genAi = genAi;
    this.providerName = providerName;
  }

  void chat(Context ctx) {
    long start = System.nanoTime();
    long providerNanos = 0;
    try {
      ChatCompletionRequest body = Json.read(ctx.bodyAsBytes(), ChatCompletionRequest.class);
      ChatRequest request = toChatRequest(body, catalog);
      GenAiTelemetry.Outcome outcome;
      long callStart = System.nanoTime();
      try {
        outcome = genAi.chat(request);
      } catch (ProviderException e) {
        providerNanos = System.nanoTime() - callStart;
        throw toHttpError(e);
      }
      providerNanos = outcome.providerNanos();
      ctx.contentType("application/json").result(Json.write(toCompletion(outcome.response())));
    } finally {
      long overheadMicros = Math.max(0, (System.nanoTime() - start - providerNanos) / 1000);
      ctx.header(OVERHEAD_HEADER, Long.toString(overheadMicros));
    }
  }

  void models(Context ctx) {
    List<Model> models = catalog.list();
    List<ModelList.Entry> entries = new ArrayList<>(models.size());
    for (Model m : models) {
      entries.add(new ModelList.Entry(m.id(), m.created(), m.ownedBy()));
    }
    ctx.contentType("application/json").result(Json.write(ModelList.of(entries)));
  }

  void model(Context ctx) {
    String id = catalog.resolve(ctx.pathParam("model"));
    for (Model m : catalog.list()) {
      if (m.id().equals(id)) {
        ctx.contentType("application/json")
            .result(Json.write(new ModelList.Entry(m.id(), m.created(), m.ownedBy())));
        return;
      }
    }
    throw new HttpError(
        404, "model_not_found", "model '" + id + "' is not served by " + providerName);
  }

  /** Validates the wire request and resolves its model; 400/404 name what is wrong. */
  static ChatRequest toChatRequest(ChatCompletionRequest body, ModelCatalog catalog) {
    if (Boolean.TRUE.equals(body.stream())) {
      throw HttpError.badRequest("unsupported", "streaming comes in a later release");
    }
    if (body.n() != null && body.n() != 1) {
      throw HttpError.badRequest(
          "unsupported", "field 'n' must be 1; several choices come in a later release");
    }
    if (body.tools() != null && body.tools().isArray() && !body.tools().isEmpty()) {
      throw HttpError.badRequest("unsupported", "tool calling comes in a later release");
    }
    if (body.model() != null && body.model().isBlank()) {
      throw HttpError.invalid(
          "field 'model' must not be blank; leave it out for the default model");
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
    String model = catalog.resolve(body.model());
    return new ChatRequest(model, messages, temperature, body.topP(), maxTokens, stop, body.seed());
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

  static ChatCompletion toCompletion(ChatResponse r) {
    Integer prompt = r.inputTokens() >= 0 ? r.inputTokens() : null;
    Integer completion = r.outputTokens() >= 0 ? r.outputTokens() : null;
    Integer total = prompt != null && completion != null ? prompt + completion : null;
    return new ChatCompletion(
        r.id(),
        ChatCompletion.OBJECT,
        r.created(),
        r.model(),
        List.of(
            new ChatCompletion.Choice(
                0, new ChatCompletion.Message("assistant", r.content()), r.finishReason())),
        new ChatCompletion.Usage(prompt, completion, total));
  }

  /** Provider failures as the answers a caller can act on; never a 200 with invented text. */
  static HttpError toHttpError(ProviderException e) {
    return switch (e.kind()) {
      case MODEL_NOT_FOUND -> new HttpError(404, "model_not_found", e.getMessage());
      case REJECTED -> new HttpError(400, "upstream_rejected", e.getMessage());
      case UNAVAILABLE -> new HttpError(503, "provider_unavailable", e.getMessage());
      case TIMEOUT -> new HttpError(504, "upstream_timeout", e.getMessage());
      case FAILED -> new HttpError(502, "upstream_error", e.getMessage());
    };
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "…";
  }
}
