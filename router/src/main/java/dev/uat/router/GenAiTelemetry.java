package dev.uat.router;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.uat.router.provider.ChatMessage;
import dev.uat.router.provider.ChatRequest;
import dev.uat.router.provider.ChatResponse;
import dev.uat.router.provider.ChatStream;
import dev.uat.router.provider.EmbeddingRequest;
import dev.uat.router.provider.EmbeddingResponse;
import dev.uat.router.provider.ProviderException;
import dev.uat.telemetry.Telemetry;
import dev.uat.web.Json;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongHistogram;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One upstream attempt in the OpenTelemetry GenAI conventions: a CLIENT span {@code chat <model>}
 * (or {@code embeddings <model>}) with the {@code gen_ai.*} request and response attributes, the
 * attempt number and fallback index, and the {@code gen_ai.client.token.usage}, {@code
 * gen_ai.client.operation.duration} and (streams) {@code
 * gen_ai.client.operation.time_to_first_chunk} histograms. The provider's HTTP call runs inside the
 * span's scope, so the traced client's span is its child and {@code traceparent} upstream names it.
 * Message content ({@code gen_ai.input.messages}, {@code gen_ai.output.messages}) is recorded only
 * when enabled. Token counts a provider did not report are estimated and marked.
 *
 * <p>Thread-safe. Never swallows the provider's failure: it records it and rethrows.
 */
final class GenAiTelemetry {
  static final AttributeKey<String> OPERATION_NAME =
      AttributeKey.stringKey("gen_ai.operation.name");
  static final AttributeKey<String> PROVIDER_NAME = AttributeKey.stringKey("gen_ai.provider.name");
  static final AttributeKey<String> REQUEST_MODEL = AttributeKey.stringKey("gen_ai.request.model");

  /**
   * The metric label of a model name no provider listed (as OpenTelemetry labels unknown HTTP
   * methods): a client can send any name, and each would be a new series.
   */
  static final String OTHER = "_OTHER";

  static final AttributeKey<Double> REQUEST_TEMPERATURE =
      AttributeKey.doubleKey("gen_ai.request.temperature");
  static final AttributeKey<Double> REQUEST_TOP_P = AttributeKey.doubleKey("gen_ai.request.top_p");
  static final AttributeKey<Long> REQUEST_MAX_TOKENS =
      AttributeKey.longKey("gen_ai.request.max_tokens");
  static final AttributeKey<Long> REQUEST_SEED = AttributeKey.longKey("gen_ai.request.seed");
  static final AttributeKey<Double> REQUEST_FREQUENCY_PENALTY =
      AttributeKey.doubleKey("gen_ai.request.frequency_penalty");
  static final AttributeKey<Double> REQUEST_PRESENCE_PENALTY =
      AttributeKey.doubleKey("gen_ai.request.presence_penalty");
  static final AttributeKey<List<String>> REQUEST_STOP_SEQUENCES =
      AttributeKey.stringArrayKey("gen_ai.request.stop_sequences");
  static final AttributeKey<Boolean> REQUEST_STREAM =
      AttributeKey.booleanKey("gen_ai.request.stream");
  static final AttributeKey<String> RESPONSE_MODEL =
      AttributeKey.stringKey("gen_ai.response.model");
  static final AttributeKey<String> RESPONSE_ID = AttributeKey.stringKey("gen_ai.response.id");
  static final AttributeKey<List<String>> RESPONSE_FINISH_REASONS =
      AttributeKey.stringArrayKey("gen_ai.response.finish_reasons");
  static final AttributeKey<Double> RESPONSE_TIME_TO_FIRST_CHUNK =
      AttributeKey.doubleKey("gen_ai.response.time_to_first_chunk");
  static final AttributeKey<Long> USAGE_INPUT_TOKENS =
      AttributeKey.longKey("gen_ai.usage.input_tokens");
  static final AttributeKey<Long> USAGE_OUTPUT_TOKENS =
      AttributeKey.longKey("gen_ai.usage.output_tokens");
  static final AttributeKey<Long> EMBEDDINGS_DIMENSION_COUNT =
      AttributeKey.longKey("gen_ai.embeddings.dimension.count");
  static final AttributeKey<String> TOKEN_TYPE = AttributeKey.stringKey("gen_ai.token.type");
  static final AttributeKey<String> INPUT_MESSAGES =
      AttributeKey.stringKey("gen_ai.input.messages");
  static final AttributeKey<String> OUTPUT_MESSAGES =
      AttributeKey.stringKey("gen_ai.output.messages");
  static final AttributeKey<String> SERVER_ADDRESS = AttributeKey.stringKey("server.address");
  static final AttributeKey<Long> SERVER_PORT = AttributeKey.longKey("server.port");
  static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");

  /** The provider instance the attempt went to (several may share a {@code kind}). */
  static final AttributeKey<String> PROVIDER_INSTANCE =
      AttributeKey.stringKey("uat.router.provider.instance");

  /** 1 for a request's first attempt, then 2, 3, … across retries and fallbacks. */
  static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("uat.router.attempt");

  /** 0 for the first step of the fallback chain, 1 for the first fallback, … */
  static final AttributeKey<Long> FALLBACK_INDEX =
      AttributeKey.longKey("uat.router.fallback_index");

  /** Set (true) when the token counts are the router's estimate. */
  static final AttributeKey<Boolean> USAGE_ESTIMATED =
      AttributeKey.booleanKey("uat.router.usage.estimated");

  /** Set (true) when the caller went away before the streamed answer ended. */
  static final AttributeKey<Boolean> CANCELLED = AttributeKey.booleanKey("uat.router.cancelled");

  /** Bucket advice of {@code gen_ai.client.token.usage}. */
  static final List<Long> TOKEN_BUCKETS =
      List.of(
          1L, 4L, 16L, 64L, 256L, 1024L, 4096L, 16384L, 65536L, 262144L, 1048576L, 4194304L,
          16777216L, 67108864L);

  /**
   * Bucket advice of {@code gen_ai.client.operation.duration} and {@code
   * gen_ai.client.operation.time_to_first_chunk}, in seconds.
   */
  static final List<Double> DURATION_BUCKETS =
      List.of(
          0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92);

  private final Tracer tracer;
  private final boolean captureContent;
  private final LongHistogram tokenUsage;
  private final DoubleHistogram duration;
  private final DoubleHistogram timeToFirstChunk;
  private final RouterMetrics routerMetrics; // null: cut answers are not counted
  private final ConcurrentHashMap<ProviderInstance, Attributes> chatCommon =
      new ConcurrentHashMap<>();
  private final ConcurrentHashMap<ProviderInstance, Attributes> embeddingsCommon =
      new ConcurrentHashMap<>();

  GenAiTelemetry(Telemetry telemetry, boolean captureContent) {
    this(telemetry, captureContent, null);
  }

  /** With the router's metrics, where answers cut at their size limit are counted. */
  GenAiTelemetry(Telemetry telemetry, boolean captureContent, RouterMetrics routerMetrics) {
    this.routerMetrics = routerMetrics;
    this.tracer = telemetry.tracer();
    this.captureContent = captureContent;
    this.tokenUsage =
        telemetry
            .meter()
            .histogramBuilder("gen_ai.client.token.usage")
            .ofLongs()
            .setUnit("{token}")
            .setDescription("Number of input and output tokens used.")
            .setExplicitBucketBoundariesAdvice(TOKEN_BUCKETS)
            .build();
    this.duration =
        telemetry
            .meter()
            .histogramBuilder("gen_ai.client.operation.duration")
            .setUnit("s")
            .setDescription("GenAI operation duration.")
            .setExplicitBucketBoundariesAdvice(DURATION_BUCKETS)
            .build();
    this.timeToFirstChunk =
        telemetry
            .meter()
            .histogramBuilder("gen_ai.client.operation.time_to_first_chunk")
            .setUnit("s")
            .setDescription(
                "Time to receive the first chunk, measured from when the client issues the"
                    + " generation request to when the first chunk is received in the response"
                    + " stream.")
            .setExplicitBucketBoundariesAdvice(DURATION_BUCKETS)
            .build();
  }

  /** Operation, provider, server address and port: the same for every call of a kind. */
  private Attributes common(String operation, ProviderInstance instance) {
    ConcurrentHashMap<ProviderInstance, Attributes> cache =
        operation.equals("chat") ? chatCommon : embeddingsCommon;
    Attributes known = cache.get(instance);
    if (known != null) {
      return known;
    }
    return cache.computeIfAbsent(
        instance,
        k -> {
          AttributesBuilder b =
              Attributes.builder()
                  .put(OPERATION_NAME, operation)
                  .put(PROVIDER_NAME, instance.kind());
          instance
              .provider()
              .endpoint()
              .ifPresent(
                  uri -> {
                    b.put(SERVER_ADDRESS, uri.getHost());
                    b.put(SERVER_PORT, port(uri));
                  });
          return b.build();
        });
  }

  private Span start(
      String operation,
      Deployment d,
      int attempt,
      int fallbackIndex,
      ChatRequest request,
      boolean stream) {
    SpanBuilder builder =
        tracer
            .spanBuilder(d.listed() ? operation + " " + d.model() : operation)
            .setSpanKind(SpanKind.CLIENT)
            .setAllAttributes(common(operation, d.instance()))
            .setAttribute(REQUEST_MODEL, d.model())
            .setAttribute(PROVIDER_INSTANCE, d.instance().name())
            .setAttribute(ATTEMPT, (long) attempt)
            .setAttribute(FALLBACK_INDEX, (long) fallbackIndex);
    if (request != null) {
      if (request.temperature() != null) {
        builder.setAttribute(REQUEST_TEMPERATURE, request.temperature());
      }
      if (request.topP() != null) {
        builder.setAttribute(REQUEST_TOP_P, request.topP());
      }
      if (request.maxTokens() != null) {
        builder.setAttribute(REQUEST_MAX_TOKENS, request.maxTokens().longValue());
      }
      if (request.seed() != null) {
        builder.setAttribute(REQUEST_SEED, request.seed());
      }
      if (request.frequencyPenalty() != null) {
        builder.setAttribute(REQUEST_FREQUENCY_PENALTY, request.frequencyPenalty());
      }
      if (request.presencePenalty() != null) {
        builder.setAttribute(REQUEST_PRESENCE_PENALTY, request.presencePenalty());
      }
      if (!request.stop().isEmpty()) {
        builder.setAttribute(REQUEST_STOP_SEQUENCES, request.stop());
      }
      if (stream) {
        builder.setAttribute(REQUEST_STREAM, true);
      }
      if (captureContent) {
        builder.setAttribute(INPUT_MESSAGES, inputMessages(request.messages()));
      }
    }
    return builder.startSpan();
  }

  /**
   * A whole (non-streamed) chat answer from {@code d}.
   *
   * @param timing where the time spent upstream is added
   * @throws ProviderException the provider's failure, after recording it
   */
  @SuppressWarnings("try") // the scope is only closed
  ChatResponse chat(
      Deployment d, int attempt, int fallbackIndex, ChatRequest request, Exchange timing) {
    ChatRequest routed = request.withModel(d.model());
    Span span = start("chat", d, attempt, fallbackIndex, routed, false);
    Context context = Context.current().with(span);
    long start = System.nanoTime();
    try (Scope ignored = context.makeCurrent()) {
      ChatResponse response;
      try {
        response = d.instance().provider().chat(routed);
      } finally {
        timing.upstreamNanos += System.nanoTime() - start;
      }
      response = estimateIfMissing(response, routed);
      succeeded(span, context, d, response, System.nanoTime() - start, -1);
      return response;
    } catch (RuntimeException e) {
      failed(span, context, d, e, System.nanoTime() - start);
      throw e;
    }
  }

  /**
   * A streamed chat answer from {@code d}, returned once its first piece arrived (so that routing
   * can still fail over until then). The span ends with the stream.
   *
   * @throws ProviderException the provider's failure before the first piece, after recording it
   */
  @SuppressWarnings("try") // the scope is only closed
  ChatStream stream(
      Deployment d,
      int attempt,
      int fallbackIndex,
      ChatRequest request,
      Exchange timing,
      Routing.Lease lease) {
    ChatRequest routed = request.withModel(d.model());
    Span span = start("chat", d, attempt, fallbackIndex, routed, true);
    Context context = Context.current().with(span);
    long start = System.nanoTime();
    ChatStream upstream = null;
    try (Scope ignored = context.makeCurrent()) {
      String first;
      try {
        upstream = d.instance().provider().stream(routed);
        first = upstream.next();
      } finally {
        timing.upstreamNanos += System.nanoTime() - start;
      }
      long ttfc = System.nanoTime() - start;
      timeToFirstChunk.record(ttfc / 1e9, metrics(d, upstream.model()).base(), context);
      span.setAttribute(RESPONSE_TIME_TO_FIRST_CHUNK, ttfc / 1e9);
      lease.keep();
      lease.succeeded();
      return new InstrumentedStream(upstream, first, span, context, d, routed, start, lease);
    } catch (RuntimeException e) {
      if (upstream != null) {
        upstream.close();
      }
      failed(span, context, d, e, System.nanoTime() - start);
      throw e;
    }
  }

  /** Embeddings from {@code d}; the span is {@code embeddings <model>}. */
  @SuppressWarnings("try") // the scope is only closed
  EmbeddingResponse embed(
      Deployment d, int attempt, int fallbackIndex, EmbeddingRequest request, Exchange timing) {
    EmbeddingRequest routed = request.withModel(d.model());
    Span span = start("embeddings", d, attempt, fallbackIndex, null, false);
    Context context = Context.current().with(span);
    long start = System.nanoTime();
    try (Scope ignored = context.makeCurrent()) {
      EmbeddingResponse response;
      try {
        response = d.instance().provider().embed(routed);
      } finally {
        timing.upstreamNanos += System.nanoTime() - start;
      }
      int input = response.inputTokens();
      if (input < 0) {
        input = TokenEstimator.inputs(routed.input());
        span.setAttribute(USAGE_ESTIMATED, true);
        response = new EmbeddingResponse(response.model(), response.vectors(), input);
      }
      long nanos = System.nanoTime() - start;
      span.setAttribute(RESPONSE_MODEL, response.model());
      span.setAttribute(USAGE_INPUT_TOKENS, (long) input);
      span.setAttribute(EMBEDDINGS_DIMENSION_COUNT, (long) response.dimensions());
      Attributes metric =
          common("embeddings", d.instance()).toBuilder()
              .put(REQUEST_MODEL, d.metricModel())
              .put(RESPONSE_MODEL, d.listed() ? response.model() : OTHER)
              .build();
      duration.record(nanos / 1e9, metric, context);
      tokenUsage.record(input, metric.toBuilder().put(TOKEN_TYPE, "input").build(), context);
      span.end();
      return response;
    } catch (RuntimeException e) {
      operationFailed(span, context, "embeddings", d, e, System.nanoTime() - start);
      throw e;
    }
  }

  private static ChatResponse estimateIfMissing(ChatResponse response, ChatRequest request) {
    if (response.hasUsage()) {
      return response;
    }
    return response.withEstimatedTokens(
        TokenEstimator.input(request.messages()), TokenEstimator.count(response.content()));
  }

  private Deployment.MetricAttributes metrics(Deployment d, String responseModel) {
    return d.metricAttributes(
        responseModel,
        m ->
            common("chat", d.instance()).toBuilder()
                .put(REQUEST_MODEL, d.metricModel())
                .put(RESPONSE_MODEL, d.listed() ? m : OTHER)
                .build());
  }

  private void succeeded(
      Span span, Context context, Deployment d, ChatResponse r, long nanos, long ignored) {
    span.setAttribute(RESPONSE_MODEL, r.model());
    span.setAttribute(RESPONSE_ID, r.id());
    span.setAttribute(RESPONSE_FINISH_REASONS, List.of(r.finishReason()));
    span.setAttribute(USAGE_INPUT_TOKENS, (long) r.inputTokens());
    span.setAttribute(USAGE_OUTPUT_TOKENS, (long) r.outputTokens());
    if (r.tokensEstimated()) {
      span.setAttribute(USAGE_ESTIMATED, true);
    }
    if (captureContent) {
      span.setAttribute(OUTPUT_MESSAGES, outputMessage(r));
    }
    if (routerMetrics != null
        && "length".equals(r.finishReason())
        && r.content().length() >= dev.uat.router.provider.ChatStream.MAX_ANSWER_CHARS) {
      routerMetrics.refused(RouterMetrics.Refusal.ANSWER_TOO_LONG);
    }
    Deployment.MetricAttributes metric = metrics(d, r.model());
    duration.record(nanos / 1e9, metric.base(), context);
    tokenUsage.record(r.inputTokens(), metric.input(), context);
    tokenUsage.record(r.outputTokens(), metric.output(), context);
    span.end();
  }

  private void failed(Span span, Context context, Deployment d, RuntimeException e, long nanos) {
    operationFailed(span, context, "chat", d, e, nanos);
  }

  private void operationFailed(
      Span span, Context context, String op, Deployment d, RuntimeException e, long nanos) {
    String errorType = e instanceof ProviderException p ? p.errorType() : e.getClass().getName();
    if (routerMetrics != null && "response_too_large".equals(errorType)) {
      routerMetrics.refused(RouterMetrics.Refusal.ANSWER_TOO_LONG);
    }
    span.recordException(e);
    span.setStatus(StatusCode.ERROR, e.getMessage());
    span.setAttribute(ERROR_TYPE, errorType);
    duration.record(
        nanos / 1e9,
        common(op, d.instance()).toBuilder()
            .put(REQUEST_MODEL, d.metricModel())
            .put(ERROR_TYPE, errorType)
            .build(),
        context);
    span.end();
  }

  /** The upstream stream, with its first piece already read, ending the span at its end. */
  private final class InstrumentedStream implements ChatStream {
    private final ChatStream upstream;
    private final Span span;
    private final Context context;
    private final Deployment deployment;
    private final ChatRequest request;
    private final long start;
    private final Routing.Lease lease;
    private String first;
    private ChatResponse result;
    private boolean ended;

    InstrumentedStream(
        ChatStream upstream,
        String first,
        Span span,
        Context context,
        Deployment deployment,
        ChatRequest request,
        long start,
        Routing.Lease lease) {
      this.upstream = upstream;
      this.first = first;
      this.span = span;
      this.context = context;
      this.deployment = deployment;
      this.request = request;
      this.start = start;
      this.lease = lease;
      if (first == null) {
        end();
      }
    }

    @Override
    public String next() {
      if (first != null) {
        String piece = first;
        first = null;
        return piece;
      }
      if (ended) {
        return null;
      }
      String piece;
      try {
        piece = upstream.next();
      } catch (RuntimeException e) {
        ended = true;
        if (e instanceof ProviderException p) {
          lease.failed(p);
        }
        lease.release();
        failed(span, context, deployment, e, System.nanoTime() - start);
        throw e;
      }
      if (piece == null) {
        end();
      }
      return piece;
    }

    private void end() {
      ended = true;
      result = estimateIfMissing(upstream.result(), request);
      lease.release();
      succeeded(span, context, deployment, result, System.nanoTime() - start, -1);
    }

    @Override
    public String id() {
      return upstream.id();
    }

    @Override
    public String model() {
      return upstream.model();
    }

    @Override
    public ChatResponse result() {
      if (result == null) {
        throw new IllegalStateException("the stream has not ended");
      }
      return result;
    }

    @Override
    public void close() {
      upstream.close();
      if (!ended) {
        ended = true;
        lease.release();
        span.setAttribute(CANCELLED, true);
        span.end();
      }
    }
  }

  /** The conventions' JSON form: {@code [{"role","parts":[{"type":"text","content"}]}]}. */
  private static String inputMessages(List<ChatMessage> messages) {
    List<InputMessage> out = new ArrayList<>(messages.size());
    for (ChatMessage m : messages) {
      out.add(new InputMessage(m.role(), List.of(new TextPart(m.content()))));
    }
    return Json.writeString(out);
  }

  private static String outputMessage(ChatResponse response) {
    return Json.writeString(
        List.of(
            new OutputMessage(
                "assistant", List.of(new TextPart(response.content())), response.finishReason())));
  }

  record TextPart(String type, String content) {
    TextPart(String content) {
      this("text", content);
    }
  }

  record InputMessage(String role, List<TextPart> parts) {}

  record OutputMessage(
      String role, List<TextPart> parts, @JsonProperty("finish_reason") String finishReason) {}

  private static long port(URI uri) {
    if (uri.getPort() > 0) {
      return uri.getPort();
    }
    return "https".equals(uri.getScheme()) ? 443 : 80;
  }
}
