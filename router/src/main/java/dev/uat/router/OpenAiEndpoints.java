package dev.uat.router;

import dev.uat.router.openai.ChatCompletion;
import dev.uat.router.openai.ChatCompletionChunk;
import dev.uat.router.openai.ChatCompletionRequest;
import dev.uat.router.openai.EmbeddingsRequest;
import dev.uat.router.openai.EmbeddingsResponse;
import dev.uat.router.openai.ModelList;
import dev.uat.router.provider.ChatRequest;
import dev.uat.router.provider.ChatResponse;
import dev.uat.router.provider.ChatStream;
import dev.uat.router.provider.EmbeddingRequest;
import dev.uat.router.provider.EmbeddingResponse;
import dev.uat.router.provider.Model;
import dev.uat.router.provider.ProviderException;
import dev.uat.web.HttpError;
import dev.uat.web.Json;
import dev.uat.web.Sse;
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
import java.util.concurrent.atomic.AtomicLong;

/**
 * The OpenAI-compatible HTTP API: {@code POST /v1/chat/completions} (whole, or streamed as
 * Server-Sent Events), {@code POST /v1/embeddings}, {@code GET /v1/models} and {@code GET
 * /v1/models/{model}}. Authenticates every request, validates with field-level messages ({@link
 * OpenAiRequests}), runs chat, streamed chat and embeddings requests alike through the interceptor
 * chain, maps failures to honest 4xx/5xx answers ({@link UpstreamErrors}), and reports the router's
 * own time in {@code X-Router-Overhead-Micros} and the cache's verdict in {@code X-Router-Cache}.
 */
final class OpenAiEndpoints {
  static final String OVERHEAD_HEADER = "X-Router-Overhead-Micros";
  static final String CACHE_HEADER = "X-Router-Cache";

  private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);
  private static final ChatCompletionChunk.Delta ROLE =
      new ChatCompletionChunk.Delta("assistant", "");

  private final Authenticator auth;
  private final ModelCatalog catalog;
  private final List<Interceptor> chain;
  private final RouterMetrics metrics;
  private final InFlightBudget inFlight;

  /**
   * @param chain the interceptors every request passes, in order; the last answers
   */
  OpenAiEndpoints(
      Authenticator auth,
      ModelCatalog catalog,
      List<Interceptor> chain,
      RouterMetrics metrics,
      InFlightBudget inFlight) {
    this.auth = auth;
    this.catalog = catalog;
    this.chain = List.copyOf(chain);
    this.metrics = metrics;
    this.inFlight = inFlight;
  }

  void chat(Context ctx) throws IOException {
    long held = inFlight.acquire(ctx.req().getContentLengthLong());
    long start = System.nanoTime();
    try {
      chat(ctx, start);
    } catch (HttpError e) {
      overheadHeaderUnlessSet(ctx, start);
      throw e;
    } finally {
      inFlight.release(held);
    }
  }

  private void chat(Context ctx, long start) throws IOException {
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
    ChatRequest chat = OpenAiRequests.chat(body);
    Caller caller = auth.authenticate(ctx.header("Authorization"));
    Route route = catalog.resolve(body.model());
    RouterRequest request =
        RouterRequest.chat(
            caller,
            route,
            chat.withModel(route.requested()),
            stream,
            cachePolicy(ctx.header("Cache-Control")),
            start);
    Answer answer = answer(ctx, request);
    if (stream) {
      stream(ctx, request, answer, includeUsage);
    } else {
      whole(ctx, request, answer);
    }
  }

  /**
   * Runs {@code request} through the chain; a failure is thrown as the caller's error, with the
   * router's overhead so far in its header.
   */
  private Answer answer(Context ctx, RouterRequest request) {
    Answer answer;
    try {
      answer = Interceptor.run(chain, request);
    } catch (HttpError e) {
      overheadHeader(ctx, System.nanoTime() - request.startNanos());
      throw e;
    }
    if (answer.failed()) {
      overheadHeader(ctx, answer.overheadNanos(request));
      throw UpstreamErrors.toHttpError(answer.failure());
    }
    return answer;
  }

  /** An error before the chain ran: all the time so far is the router's. */
  private static void overheadHeaderUnlessSet(Context ctx, long start) {
    if (!ctx.res().containsHeader(OVERHEAD_HEADER)) {
      overheadHeader(ctx, System.nanoTime() - start);
    }
  }

  private static void overheadHeader(Context ctx, long nanos) {
    ctx.header(OVERHEAD_HEADER, Long.toString(nanos / 1000));
  }

  private void whole(Context ctx, RouterRequest request, Answer answer) {
    ChatStream stream = answer.stream();
    ChatResponse response;
    try {
      while (stream.next() != null) {
        // a whole answer comes in one piece; a cached or streamed one is collected
      }
      response = stream.result();
    } catch (ProviderException e) {
      overheadHeader(ctx, answer.overheadNanos(request));
      throw UpstreamErrors.toHttpError(e);
    } finally {
      stream.close();
    }
    byte[] json = Json.write(toCompletion(response));
    long overhead = answer.overheadNanos(request);
    metrics.overhead(overhead);
    ctx.header(CACHE_HEADER, answer.cacheStatus() == null ? "bypass" : answer.cacheStatus());
    overheadHeader(ctx, overhead);
    ctx.contentType("application/json").result(json);
  }

  private void stream(Context ctx, RouterRequest request, Answer answer, boolean includeUsage)
      throws IOException {
    long overhead = answer.overheadNanos(request);
    metrics.overhead(overhead);
    ctx.status(200);
    ctx.contentType(Sse.CONTENT_TYPE);
    ctx.header("Cache-Control", "no-cache");
    ctx.header("X-Accel-Buffering", "no"); // nginx: pass events on as they come
    ctx.header(CACHE_HEADER, answer.cacheStatus() == null ? "bypass" : answer.cacheStatus());
    overheadHeader(ctx, overhead);
    OutputStream out = ctx.res().getOutputStream();
    ChatStream stream = answer.stream();
    String id = stream.id();
    String model = stream.model();
    long created = Instant.now().getEpochSecond();
    try {
      event(out, ChatCompletionChunk.of(id, created, model, ROLE, null));
      for (String piece; (piece = stream.next()) != null; ) {
        event(
            out,
            ChatCompletionChunk.of(
                id, created, model, new ChatCompletionChunk.Delta(null, piece), null));
      }
      ChatResponse done = stream.result();
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
      HttpError error = UpstreamErrors.toHttpError(e);
      Span.current().recordException(e);
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("message", error.getMessage());
      body.put("type", error.type());
      body.put("code", error.code());
      Sse.writeJson(out, Json.write(Map.of("error", body)));
      out.flush();
    } catch (IOException e) {
      // the client went away: stop the upstream (closing below) and say nothing more
    } finally {
      stream.close();
    }
  }

  private static void event(OutputStream out, ChatCompletionChunk chunk) throws IOException {
    Sse.writeJson(out, Json.write(chunk));
    out.flush();
  }

  static RouterRequest.CachePolicy cachePolicy(String cacheControl) {
    if (cacheControl == null) {
      return RouterRequest.CachePolicy.USE;
    }
    String c = cacheControl.toLowerCase(Locale.ROOT);
    if (c.contains("no-store")) {
      return RouterRequest.CachePolicy.BYPASS;
    }
    if (c.contains("no-cache")) {
      return RouterRequest.CachePolicy.REFRESH;
    }
    return RouterRequest.CachePolicy.USE;
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
      throw new HttpError(
          404, "model_not_found", "model '" + OpenAiRequests.abbreviate(id) + "' is not served");
    }
    ctx.contentType("application/json")
        .result(Json.write(new ModelList.Entry(m.id(), m.created(), m.ownedBy())));
  }

  void embeddings(Context ctx) {
    AtomicLong held = new AtomicLong(inFlight.acquire(ctx.req().getContentLengthLong()));
    try {
      embeddings(ctx, System.nanoTime(), held);
    } finally {
      inFlight.release(held.get());
    }
  }

  private void embeddings(Context ctx, long start, AtomicLong held) {
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
      List<String> inputs = OpenAiRequests.inputs(body.input());
      held.addAndGet(inFlight.take(inFlight.embeddingsCharge(inputs.size())));
      Route route = catalog.resolve(body.model());
      RouterRequest request =
          RouterRequest.embeddings(
              caller,
              route,
              new EmbeddingRequest(route.requested(), inputs, body.dimensions()),
              start);
      Answer answer = answer(ctx, request);
      EmbeddingResponse response = answer.embeddings();
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
      overheadHeader(ctx, answer.overheadNanos(request));
      ctx.contentType("application/json").result(json);
    } catch (HttpError e) {
      overheadHeaderUnlessSet(ctx, start);
      throw e;
    }
  }

  private static String base64(float[] v) {
    ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float f : v) {
      b.putFloat(f);
    }
    return Base64.getEncoder().encodeToString(b.array());
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

  /** A model name no longer than {@link OpenAiRequests#MAX_MODEL_LENGTH}, else a counted 400. */
  private void checkModelLength(String model) {
    if (model != null && model.length() > OpenAiRequests.MAX_MODEL_LENGTH) {
      metrics.refused(RouterMetrics.Refusal.MODEL_NAME_TOO_LONG);
      throw OpenAiRequests.tooLong();
    }
  }
}
