package dev.uat.router;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.router.openai.ChatCompletion;
import dev.uat.router.openai.ChatCompletionChunk;
import dev.uat.router.openai.ChatCompletionRequest;
import dev.uat.router.openai.EmbeddingsRequest;
import dev.uat.router.openai.EmbeddingsResponse;
import dev.uat.router.openai.ModelList;
import dev.uat.router.provider.ChatMessage;
import dev.uat.router.provider.ChatRequest;
import dev.uat.router.provider.ChatResponse;
import dev.uat.router.provider.ChatStream;
import dev.uat.router.provider.EmbeddingRequest;
import dev.uat.router.provider.EmbeddingResponse;
import dev.uat.router.provider.Model;
import dev.uat.router.provider.ProviderException;
import dev.uat.web.HttpError;
import dev.uat.web.Json;
import io.javalin.http.Context;
import io.opentelemetry.api.trace.Span;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The OpenAI-compatible HTTP API: {@code POST /v1/chat/completions} (whole, or streamed as
 * Server-Sent Events), {@code POST /v1/embeddings}, {@code GET /v1/models} and {@code GET
 * /v1/models/{model}}. Authenticates every request, validates with field-level messages, runs chat
 * requests through the interceptor chain, maps failures to honest 4xx/5xx answers, and reports the
 * router's own time in {@code X-Router-Overhead-Micros} and the cache's verdict in {@code
 * X-Router-Cache}.
 */
final class OpenAiEndpoints {
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

  static final String OVERHEAD_HEADER = "X-Router-Overhead-Micros";
  static final String CACHE_HEADER = "X-Router-Cache";

  private static final Set<String> ROLES = Set.of("system", "user", "assistant", "tool");
  private static final byte[] DATA = "data: ".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] END_OF_EVENT = "\n\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);
  private static final ChatCompletionChunk.Delta ROLE =
      new ChatCompletionChunk.Delta("assistant", "");

  private final Authenticator auth;
  private final ModelCatalog catalog;
  private final ChatInterceptor.Chain chain;
  private final RateLimiter limiter;
  private final Routing routing;
  private final GenAiTelemetry genAi;
  private final UsageRecorder usage;
  private final RouterMetrics metrics;
  private final InFlightBudget inFlight;

  OpenAiEndpoints(
      Authenticator auth,
      ModelCatalog catalog,
      ChatInterceptor.Chain chain,
      RateLimiter limiter,
      Routing routing,
      GenAiTelemetry genAi,
      UsageRecorder usage,
      RouterMetrics metrics,
      InFlightBudget inFlight) {
    this.auth = auth;
    this.catalog = catalog;
    this.chain = chain;
    this.limiter = limiter;
    this.routing = routing;
    this.genAi = genAi;
    this.usage = usage;
    this.metrics = metrics;
    this.inFlight = inFlight;
  }

  void chat(Context ctx) throws IOException {
    long held = inFlight.acquire(ctx.req().getContentLengthLong());
    try {
      chat(ctx, System.nanoTime());
    } finally {
      inFlight.release(held);
    }
  }

  private void chat(Context ctx, long start) throws IOException {
    Exchange exchange = null;
    try {
      // the body's form is checked first: a malformed request costs no credential check (and
      // no call to the api for an API key); models are resolved only for a known caller
      ChatCompletionRequest body = Json.read(ctx.bodyAsBytes(), ChatCompletionRequest.class);
      checkModelLength(body.model());
      boolean stream = Boolean.TRUE.equals(body.stream());
      boolean includeUsage =
          stream
              && body.streamOptions() != null
              && Boolean.TRUE.equals(body.streamOptions().includeUsage());
      if (!stream && body.streamOptions() != null) {
        throw HttpError.invalid("field 'stream_options' is only allowed when 'stream' is true");
      }
      ChatRequest request = toChatRequest(body);
      Caller caller = auth.authenticate(ctx.header("Authorization"));
      Route route = catalog.resolve(body.model());
      exchange =
          new Exchange(
              caller,
              request.withModel(route.requested()),
              route,
              stream,
              cachePolicy(ctx.header("Cache-Control")),
              start);
      ChatStream answer;
      try {
        answer = chain.proceed(exchange);
      } catch (ProviderException e) {
        throw toHttpError(e);
      }
      if (stream) {
        stream(ctx, exchange, answer, includeUsage);
      } else {
        whole(ctx, exchange, answer);
      }
    } catch (HttpError e) {
      long overhead = exchange == null ? System.nanoTime() - start : exchange.overheadNanos();
      ctx.header(OVERHEAD_HEADER, Long.toString(overhead / 1000));
      throw e;
    }
  }

  private void whole(Context ctx, Exchange exchange, ChatStream answer) {
    ChatResponse response;
    try {
      while (answer.next() != null) {
        // a whole answer comes in one piece; a cached or streamed one is collected
      }
      response = answer.result();
    } catch (ProviderException e) {
      throw toHttpError(e);
    } finally {
      answer.close();
    }
    byte[] json = Json.write(toCompletion(response));
    long overhead = exchange.overheadNanos();
    metrics.overhead(overhead);
    ctx.header(CACHE_HEADER, exchange.cacheStatus == null ? "bypass" : exchange.cacheStatus);
    ctx.header(OVERHEAD_HEADER, Long.toString(overhead / 1000));
    ctx.contentType("application/json").result(json);
  }

  private void stream(Context ctx, Exchange exchange, ChatStream answer, boolean includeUsage)
      throws IOException {
    long overhead = exchange.overheadNanos();
    metrics.overhead(overhead);
    ctx.status(200);
    ctx.contentType("text/event-stream; charset=utf-8");
    ctx.header("Cache-Control", "no-cache");
    ctx.header("X-Accel-Buffering", "no"); // nginx: pass events on as they come
    ctx.header(CACHE_HEADER, exchange.cacheStatus == null ? "bypass" : exchange.cacheStatus);
    ctx.header(OVERHEAD_HEADER, Long.toString(overhead / 1000));
    OutputStream out = ctx.res().getOutputStream();
    String id = answer.id();
    String model = answer.model();
    long created = Instant.now().getEpochSecond();
    try {
      event(out, ChatCompletionChunk.of(id, created, model, ROLE, null));
      for (String piece; (piece = answer.next()) != null; ) {
        event(
            out,
            ChatCompletionChunk.of(
                id, created, model, new ChatCompletionChunk.Delta(null, piece), null));
      }
      ChatResponse done = answer.result();
      event(
          out,
          ChatCompletionChunk.of(
              id, created, done.model(), ChatCompletionChunk.Delta.EMPTY, done.finishReason()));
      if (includeUsage) {
        event(out, ChatCompletionChunk.usage(id, created, done.model(), usage(done)));
      }
      out.write(DONE);
      out.flush();
    } catch (ProviderException e) {
      // headers are sent: the failure can only be told in the stream; no [DONE] follows
      HttpError error = toHttpError(e);
      Span.current().recordException(e);
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("message", error.getMessage());
      body.put("type", error.type());
      body.put("code", error.code());
      out.write(DATA);
      out.write(Json.write(Map.of("error", body)));
      out.write(END_OF_EVENT);
      out.flush();
    } catch (IOException e) {
      // the client went away: stop the upstream (closing below) and say nothing more
    } finally {
      answer.close();
    }
  }

  private static void event(OutputStream out, ChatCompletionChunk chunk) throws IOException {
    out.write(DATA);
    out.write(Json.write(chunk));
    out.write(END_OF_EVENT);
    out.flush();
  }

  static Exchange.CachePolicy cachePolicy(String cacheControl) {
    if (cacheControl == null) {
      return Exchange.CachePolicy.USE;
    }
    String c = cacheControl.toLowerCase(Locale.ROOT);
    if (c.contains("no-store")) {
      return Exchange.CachePolicy.BYPASS;
    }
    if (c.contains("no-cache")) {
      return Exchange.CachePolicy.REFRESH;
    }
    return Exchange.CachePolicy.USE;
  }

  void models(Context ctx) {
    auth.authenticate(ctx.header("Authorization"));
    List<Model> models = catalog.list();
    List<ModelList.Entry> entries = new ArrayList<>(models.size());
    for (Model m : models) {
      entries.add(new ModelList.Entry(m.id(), m.created(), m.ownedBy()));
    }
    ctx.contentType("application/json").result(Json.write(ModelList.of(entries)));
  }

  void model(Context ctx) {
    auth.authenticate(ctx.header("Authorization"));
    String id = ctx.pathParam("model");
    checkModelLength(id);
    Model m = catalog.find(id);
    if (m == null) {
      throw new HttpError(404, "model_not_found", "model '" + abbreviate(id) + "' is not served");
    }
    ctx.contentType("application/json")
        .result(Json.write(new ModelList.Entry(m.id(), m.created(), m.ownedBy())));
  }

  void embeddings(Context ctx) {
    java.util.concurrent.atomic.AtomicLong held =
        new java.util.concurrent.atomic.AtomicLong(
            inFlight.acquire(ctx.req().getContentLengthLong()));
    try {
      embeddings(ctx, System.nanoTime(), held);
    } finally {
      inFlight.release(held.get());
    }
  }

  private void embeddings(Context ctx, long start, java.util.concurrent.atomic.AtomicLong held) {
    Exchange timing = null;
    try {
      Caller caller = auth.authenticate(ctx.header("Authorization"));
      EmbeddingsRequest body = Json.read(ctx.bodyAsBytes(), EmbeddingsRequest.class);
      if (body.model() == null || body.model().isBlank()) {
        throw HttpError.invalid("field 'model' is required");
      }
      checkModelLength(body.model());
      boolean base64 = "base64".equals(body.encodingFormat());
      if (body.encodingFormat() != null && !base64 && !"float".equals(body.encodingFormat())) {
        throw HttpError.invalid("field 'encoding_format' must be 'float' or 'base64'");
      }
      if (body.dimensions() != null && body.dimensions() < 1) {
        throw HttpError.invalid("field 'dimensions' must be at least 1");
      }
      List<String> inputs = inputs(body.input());
      held.addAndGet(inFlight.take(inFlight.embeddingsCharge(inputs.size())));
      Route route = catalog.resolve(body.model());
      EmbeddingRequest request = new EmbeddingRequest(route.requested(), inputs, body.dimensions());
      timing =
          new Exchange(
              caller,
              ChatRequest.of(route.requested(), List.of(new ChatMessage("user", ""))),
              route,
              false,
              Exchange.CachePolicy.BYPASS,
              start);
      limiter.admit(caller);
      Exchange x = timing;
      EmbeddingResponse response;
      try {
        response =
            routing.execute(
                route,
                (d, attempt, fallbackIndex, lease) -> {
                  x.answeredBy = d.instance().name();
                  return genAi.embed(d, attempt, fallbackIndex, request, x);
                });
      } catch (ProviderException e) {
        HttpError error = toHttpError(e);
        usage.record(embeddingRecord(x, null, error.code()));
        throw error;
      }
      limiter.charge(caller, response.inputTokens());
      usage.record(embeddingRecord(x, response, "ok"));
      List<EmbeddingsResponse.Entry> data = new ArrayList<>(response.vectors().size());
      for (int i = 0; i < response.vectors().size(); i++) {
        float[] v = response.vectors().get(i);
        data.add(new EmbeddingsResponse.Entry("embedding", i, base64 ? base64(v) : v));
      }
      int tokens = Math.max(0, response.inputTokens());
      byte[] json =
          Json.write(
              new EmbeddingsResponse(
                  "list", data, response.model(), new EmbeddingsResponse.Usage(tokens, tokens)));
      ctx.header(OVERHEAD_HEADER, Long.toString(x.overheadNanos() / 1000));
      ctx.contentType("application/json").result(json);
    } catch (HttpError e) {
      long overhead = timing == null ? System.nanoTime() - start : timing.overheadNanos();
      ctx.header(OVERHEAD_HEADER, Long.toString(overhead / 1000));
      throw e;
    }
  }

  private static UsageRecord embeddingRecord(Exchange x, EmbeddingResponse r, String status) {
    var span = Span.current().getSpanContext();
    return new UsageRecord(
        Instant.now(),
        "embeddings",
        x.caller.keyId(),
        x.caller.userId(),
        x.route.requested(),
        r == null ? null : r.model(),
        x.answeredBy,
        r == null ? 0 : Math.max(0, r.inputTokens()),
        0,
        false,
        (int) Math.min(Integer.MAX_VALUE, (System.nanoTime() - x.startNanos) / 1_000_000),
        false,
        status,
        span.isValid() ? span.getTraceId() : null);
  }

  private static String base64(float[] v) {
    ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float f : v) {
      b.putFloat(f);
    }
    return Base64.getEncoder().encodeToString(b.array());
  }

  private static List<String> inputs(JsonNode input) {
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
  static ChatRequest toChatRequest(ChatCompletionRequest body) {
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

  private static ChatCompletion.Usage usage(ChatResponse r) {
    Integer prompt = r.inputTokens() >= 0 ? r.inputTokens() : null;
    Integer completion = r.outputTokens() >= 0 ? r.outputTokens() : null;
    Integer total = prompt != null && completion != null ? prompt + completion : null;
    return new ChatCompletion.Usage(prompt, completion, total);
  }

  static ChatCompletion toCompletion(ChatResponse r) {
    return new ChatCompletion(
        r.id(),
        ChatCompletion.OBJECT,
        r.created(),
        r.model(),
        List.of(
            new ChatCompletion.Choice(
                0, new ChatCompletion.Message("assistant", r.content()), r.finishReason())),
        usage(r));
  }

  /** Provider failures as the answers a caller can act on; never a 200 with invented text. */
  static HttpError toHttpError(ProviderException e) {
    return switch (e.kind()) {
      case MODEL_NOT_FOUND -> new HttpError(404, "model_not_found", e.getMessage());
      case REJECTED ->
          new HttpError(
              400,
              "unsupported".equals(e.errorType()) ? "unsupported" : "upstream_rejected",
              e.getMessage());
      case UNAVAILABLE -> new HttpError(503, "provider_unavailable", e.getMessage());
      case TIMEOUT -> new HttpError(504, "upstream_timeout", e.getMessage());
      case RATE_LIMITED ->
          new HttpError(
              429,
              "upstream_rate_limited",
              e.getMessage(),
              e.retryAfterSeconds() > 0 ? e.retryAfterSeconds() : 1);
      case FAILED -> new HttpError(502, "upstream_error", e.getMessage());
    };
  }

  /** A model name no longer than {@link #MAX_MODEL_LENGTH}, else a counted 400. */
  private void checkModelLength(String model) {
    if (model != null && model.length() > MAX_MODEL_LENGTH) {
      metrics.refused(RouterMetrics.Refusal.MODEL_NAME_TOO_LONG);
      throw tooLong();
    }
  }

  private static HttpError tooLong() {
    return HttpError.invalid(
        "the model name is longer than " + MAX_MODEL_LENGTH + " characters; no model is named so");
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "…";
  }
}
