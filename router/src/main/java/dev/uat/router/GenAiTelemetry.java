package dev.uat.router;

import static dev.uat.router.RouterAttributes.ATTEMPT;
import static dev.uat.router.RouterAttributes.CANCELLED;
import static dev.uat.router.RouterAttributes.FALLBACK_INDEX;
import static dev.uat.router.RouterAttributes.PROVIDER_INSTANCE;
import static dev.uat.router.RouterAttributes.USAGE_ESTIMATED;
import static dev.uat.telemetry.UatAttributes.GEN_AI_EMBEDDINGS_DIMENSION_COUNT;
import static dev.uat.telemetry.UatAttributes.GEN_AI_INPUT_MESSAGES;
import static dev.uat.telemetry.UatAttributes.GEN_AI_OPERATION_NAME;
import static dev.uat.telemetry.UatAttributes.GEN_AI_OUTPUT_MESSAGES;
import static dev.uat.telemetry.UatAttributes.GEN_AI_PROVIDER_NAME;
import static dev.uat.telemetry.UatAttributes.GEN_AI_REQUEST_FREQUENCY_PENALTY;
import static dev.uat.telemetry.UatAttributes.GEN_AI_REQUEST_MAX_TOKENS;
import static dev.uat.telemetry.UatAttributes.GEN_AI_REQUEST_MODEL;
import static dev.uat.telemetry.UatAttributes.GEN_AI_REQUEST_PRESENCE_PENALTY;
import static dev.uat.telemetry.UatAttributes.GEN_AI_REQUEST_SEED;
import static dev.uat.telemetry.UatAttributes.GEN_AI_REQUEST_STOP_SEQUENCES;
import static dev.uat.telemetry.UatAttributes.GEN_AI_REQUEST_STREAM;
import static dev.uat.telemetry.UatAttributes.GEN_AI_REQUEST_TEMPERATURE;
import static dev.uat.telemetry.UatAttributes.GEN_AI_REQUEST_TOP_P;
import static dev.uat.telemetry.UatAttributes.GEN_AI_RESPONSE_FINISH_REASONS;
import static dev.uat.telemetry.UatAttributes.GEN_AI_RESPONSE_ID;
import static dev.uat.telemetry.UatAttributes.GEN_AI_RESPONSE_MODEL;
import static dev.uat.telemetry.UatAttributes.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK;
import static dev.uat.telemetry.UatAttributes.GEN_AI_TOKEN_TYPE;
import static dev.uat.telemetry.UatAttributes.GEN_AI_USAGE_INPUT_TOKENS;
import static dev.uat.telemetry.UatAttributes.GEN_AI_USAGE_OUTPUT_TOKENS;
import static io.opentelemetry.semconv.ErrorAttributes.ERROR_TYPE;
import static io.opentelemetry.semconv.ServerAttributes.SERVER_ADDRESS;
import static io.opentelemetry.semconv.ServerAttributes.SERVER_PORT;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.uat.router.provider.ChatMessage;
import dev.uat.router.provider.ChatRequest;
import dev.uat.router.provider.ChatResponse;
import dev.uat.router.provider.ChatStream;
import dev.uat.router.provider.EmbeddingResponse;
import dev.uat.router.provider.ProviderException;
import dev.uat.telemetry.Telemetry;
import dev.uat.web.Json;
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
 * Spans and metrics of one upstream attempt, around the {@link ProviderCall} that makes it: a
 * CLIENT span {@code chat <model>} (or {@code embeddings <model>}) in the OpenTelemetry GenAI
 * conventions with the {@code gen_ai.*} request and response attributes, the attempt number and
 * fallback index, and the {@code gen_ai.client.token.usage}, {@code
 * gen_ai.client.operation.duration} and (streams) {@code
 * gen_ai.client.operation.time_to_first_chunk} histograms. The call runs inside the span's scope,
 * so the traced HTTP client's span is its child and {@code traceparent} upstream names it. Message
 * content ({@code gen_ai.input.messages}, {@code gen_ai.output.messages}) is recorded only when
 * enabled. It observes only: the call, its leases and its token estimates are the delegate's.
 *
 * <p>Thread-safe. Never swallows the call's failure: it records it and rethrows.
 */
final class GenAiTelemetry implements ProviderCall {
  /**
   * The metric label of a model name no provider listed (as OpenTelemetry labels unknown HTTP
   * methods): a client can send any name, and each would be a new series.
   */
  static final String OTHER = "_OTHER";

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
  private final RouterMetrics routerMetrics;
  private final ProviderCall delegate;
  private final ConcurrentHashMap<ProviderInstance, Attributes> chatCommon =
      new ConcurrentHashMap<>();
  private final ConcurrentHashMap<ProviderInstance, Attributes> embeddingsCommon =
      new ConcurrentHashMap<>();

  /**
   * @param delegate the call observed
   * @param routerMetrics where answers cut at their size limit are counted
   */
  GenAiTelemetry(
      ProviderCall delegate,
      Telemetry telemetry,
      boolean captureContent,
      RouterMetrics routerMetrics) {
    this.delegate = delegate;
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
                  .put(GEN_AI_OPERATION_NAME, operation)
                  .put(GEN_AI_PROVIDER_NAME, instance.kind());
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

  @Override
  @SuppressWarnings("try") // the scope is only closed
  public Answer call(Attempt a) {
    RouterRequest.Kind kind = a.request().kind();
    Deployment d = a.deployment();
    Span span = start(a);
    Context context = Context.current().with(span);
    long start = System.nanoTime();
    try (Scope ignored = context.makeCurrent()) {
      Answer answer = delegate.call(a);
      switch (kind) {
        case CHAT ->
            succeeded(span, context, d, answer.stream().result(), System.nanoTime() - start);
        case STREAM -> {
          long ttfc = System.nanoTime() - start;
          ChatStream upstream = answer.stream();
          timeToFirstChunk.record(ttfc / 1e9, metrics(d, upstream.model()).base(), context);
          span.setAttribute(GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, ttfc / 1e9);
          answer = answer.withStream(new ObservedStream(upstream, span, context, d, start));
        }
        case EMBEDDINGS ->
            embedded(span, context, d, answer.embeddings(), System.nanoTime() - start);
      }
      return answer;
    } catch (RuntimeException e) {
      failed(span, context, kind.operation, d, e, System.nanoTime() - start);
      throw e;
    }
  }

  private Span start(Attempt a) {
    Deployment d = a.deployment();
    String operation = a.request().kind().operation;
    SpanBuilder builder =
        tracer
            .spanBuilder(d.listed() ? operation + " " + d.model() : operation)
            .setSpanKind(SpanKind.CLIENT)
            .setAllAttributes(common(operation, d.instance()))
            .setAttribute(GEN_AI_REQUEST_MODEL, d.model())
            .setAttribute(PROVIDER_INSTANCE, d.instance().name())
            .setAttribute(ATTEMPT, (long) a.number())
            .setAttribute(FALLBACK_INDEX, (long) a.fallbackIndex());
    ChatRequest request = a.request().chat();
    if (request != null) {
      if (request.temperature() != null) {
        builder.setAttribute(GEN_AI_REQUEST_TEMPERATURE, request.temperature());
      }
      if (request.topP() != null) {
        builder.setAttribute(GEN_AI_REQUEST_TOP_P, request.topP());
      }
      if (request.maxTokens() != null) {
        builder.setAttribute(GEN_AI_REQUEST_MAX_TOKENS, request.maxTokens().longValue());
      }
      if (request.seed() != null) {
        builder.setAttribute(GEN_AI_REQUEST_SEED, request.seed());
      }
      if (request.frequencyPenalty() != null) {
        builder.setAttribute(GEN_AI_REQUEST_FREQUENCY_PENALTY, request.frequencyPenalty());
      }
      if (request.presencePenalty() != null) {
        builder.setAttribute(GEN_AI_REQUEST_PRESENCE_PENALTY, request.presencePenalty());
      }
      if (!request.stop().isEmpty()) {
        builder.setAttribute(GEN_AI_REQUEST_STOP_SEQUENCES, request.stop());
      }
      if (a.request().kind() == RouterRequest.Kind.STREAM) {
        builder.setAttribute(GEN_AI_REQUEST_STREAM, true);
      }
      if (captureContent) {
        builder.setAttribute(GEN_AI_INPUT_MESSAGES, inputMessages(request.messages()));
      }
    }
    return builder.startSpan();
  }

  private void embedded(
      Span span, Context context, Deployment d, EmbeddingResponse response, long nanos) {
    if (response.tokensEstimated()) {
      span.setAttribute(USAGE_ESTIMATED, true);
    }
    span.setAttribute(GEN_AI_RESPONSE_MODEL, response.model());
    span.setAttribute(GEN_AI_USAGE_INPUT_TOKENS, (long) response.inputTokens());
    span.setAttribute(GEN_AI_EMBEDDINGS_DIMENSION_COUNT, (long) response.dimensions());
    Attributes metric =
        common("embeddings", d.instance()).toBuilder()
            .put(GEN_AI_REQUEST_MODEL, d.metricModel())
            .put(GEN_AI_RESPONSE_MODEL, d.listed() ? response.model() : OTHER)
            .build();
    duration.record(nanos / 1e9, metric, context);
    tokenUsage.record(
        response.inputTokens(),
        metric.toBuilder().put(GEN_AI_TOKEN_TYPE, "input").build(),
        context);
    span.end();
  }

  private Deployment.MetricAttributes metrics(Deployment d, String responseModel) {
    return d.metricAttributes(
        responseModel,
        m ->
            common("chat", d.instance()).toBuilder()
                .put(GEN_AI_REQUEST_MODEL, d.metricModel())
                .put(GEN_AI_RESPONSE_MODEL, d.listed() ? m : OTHER)
                .build());
  }

  private void succeeded(Span span, Context context, Deployment d, ChatResponse r, long nanos) {
    span.setAttribute(GEN_AI_RESPONSE_MODEL, r.model());
    span.setAttribute(GEN_AI_RESPONSE_ID, r.id());
    span.setAttribute(GEN_AI_RESPONSE_FINISH_REASONS, List.of(r.finishReason()));
    span.setAttribute(GEN_AI_USAGE_INPUT_TOKENS, (long) r.inputTokens());
    span.setAttribute(GEN_AI_USAGE_OUTPUT_TOKENS, (long) r.outputTokens());
    if (r.tokensEstimated()) {
      span.setAttribute(USAGE_ESTIMATED, true);
    }
    if (captureContent) {
      span.setAttribute(GEN_AI_OUTPUT_MESSAGES, outputMessage(r));
    }
    if ("length".equals(r.finishReason()) && r.content().length() >= ChatStream.MAX_ANSWER_CHARS) {
      routerMetrics.refused(RouterMetrics.Refusal.ANSWER_TOO_LONG);
    }
    Deployment.MetricAttributes metric = metrics(d, r.model());
    duration.record(nanos / 1e9, metric.base(), context);
    tokenUsage.record(r.inputTokens(), metric.input(), context);
    tokenUsage.record(r.outputTokens(), metric.output(), context);
    span.end();
  }

  private void failed(
      Span span, Context context, String op, Deployment d, RuntimeException e, long nanos) {
    String errorType = e instanceof ProviderException p ? p.errorType() : e.getClass().getName();
    if ("response_too_large".equals(errorType)) {
      routerMetrics.refused(RouterMetrics.Refusal.ANSWER_TOO_LONG);
    }
    span.recordException(e);
    span.setStatus(StatusCode.ERROR, e.getMessage());
    span.setAttribute(ERROR_TYPE, errorType);
    duration.record(
        nanos / 1e9,
        common(op, d.instance()).toBuilder()
            .put(GEN_AI_REQUEST_MODEL, d.metricModel())
            .put(ERROR_TYPE, errorType)
            .build(),
        context);
    span.end();
  }

  /** A streamed answer, ending the attempt's span at its end, failure or cancellation. */
  private final class ObservedStream extends ForwardingStream {
    private final Span span;
    private final Context context;
    private final Deployment deployment;
    private final long start;

    ObservedStream(ChatStream upstream, Span span, Context context, Deployment d, long start) {
      super(upstream);
      this.span = span;
      this.context = context;
      this.deployment = d;
      this.start = start;
    }

    @Override
    void completed(ChatResponse r) {
      succeeded(span, context, deployment, r, System.nanoTime() - start);
    }

    @Override
    void failed(RuntimeException e) {
      GenAiTelemetry.this.failed(span, context, "chat", deployment, e, System.nanoTime() - start);
    }

    @Override
    void abandoned() {
      span.setAttribute(CANCELLED, true);
      span.end();
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
