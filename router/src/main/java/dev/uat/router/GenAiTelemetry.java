package dev.uat.router;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.uat.router.provider.ChatMessage;
import dev.uat.router.provider.ChatRequest;
import dev.uat.router.provider.ChatResponse;
import dev.uat.router.provider.Provider;
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

/**
 * Wraps each provider call in the OpenTelemetry GenAI conventions: a CLIENT span {@code chat
 * <model>} with the {@code gen_ai.*} request and response attributes, and the {@code
 * gen_ai.client.token.usage} and {@code gen_ai.client.operation.duration} histograms. Message
 * content is recorded ({@code gen_ai.input.messages}, {@code gen_ai.output.messages}) only when
 * enabled in configuration.
 *
 * <p>Thread-safe. Never swallows the provider's failure: it records it and rethrows.
 */
final class GenAiTelemetry {
  static final AttributeKey<String> OPERATION_NAME =
      AttributeKey.stringKey("gen_ai.operation.name");
  static final AttributeKey<String> PROVIDER_NAME = AttributeKey.stringKey("gen_ai.provider.name");
  static final AttributeKey<String> REQUEST_MODEL = AttributeKey.stringKey("gen_ai.request.model");
  static final AttributeKey<Double> REQUEST_TEMPERATURE =
      AttributeKey.doubleKey("gen_ai.request.temperature");
  static final AttributeKey<Double> REQUEST_TOP_P = AttributeKey.doubleKey("gen_ai.request.top_p");
  static final AttributeKey<Long> REQUEST_MAX_TOKENS =
      AttributeKey.longKey("gen_ai.request.max_tokens");
  static final AttributeKey<Long> REQUEST_SEED = AttributeKey.longKey("gen_ai.request.seed");
  static final AttributeKey<List<String>> REQUEST_STOP_SEQUENCES =
      AttributeKey.stringArrayKey("gen_ai.request.stop_sequences");
  static final AttributeKey<String> RESPONSE_MODEL =
      AttributeKey.stringKey("gen_ai.response.model");
  static final AttributeKey<String> RESPONSE_ID = AttributeKey.stringKey("gen_ai.response.id");
  static final AttributeKey<List<String>> RESPONSE_FINISH_REASONS =
      AttributeKey.stringArrayKey("gen_ai.response.finish_reasons");
  static final AttributeKey<Long> USAGE_INPUT_TOKENS =
      AttributeKey.longKey("gen_ai.usage.input_tokens");
  static final AttributeKey<Long> USAGE_OUTPUT_TOKENS =
      AttributeKey.longKey("gen_ai.usage.output_tokens");
  static final AttributeKey<String> TOKEN_TYPE = AttributeKey.stringKey("gen_ai.token.type");
  static final AttributeKey<String> INPUT_MESSAGES =
      AttributeKey.stringKey("gen_ai.input.messages");
  static final AttributeKey<String> OUTPUT_MESSAGES =
      AttributeKey.stringKey("gen_ai.output.messages");
  static final AttributeKey<String> SERVER_ADDRESS = AttributeKey.stringKey("server.address");
  static final AttributeKey<Long> SERVER_PORT = AttributeKey.longKey("server.port");
  static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");

  /** Bucket advice of {@code gen_ai.client.token.usage}. */
  static final List<Long> TOKEN_BUCKETS =
      List.of(
          1L, 4L, 16L, 64L, 256L, 1024L, 4096L, 16384L, 65536L, 262144L, 1048576L, 4194304L,
          16777216L, 67108864L);

  /** Bucket advice of {@code gen_ai.client.operation.duration}, in seconds. */
  static final List<Double> DURATION_BUCKETS =
      List.of(
          0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92);

  /** The result of an instrumented call and the time the provider took, in nanoseconds. */
  record Outcome(ChatResponse response, long providerNanos) {}

  private final Provider provider;
  private final Tracer tracer;
  private final boolean captureContent;
  private final Attributes common; // operation, provider, server address and port
  private final LongHistogram tokenUsage;
  private final DoubleHistogram duration;

  GenAiTelemetry(Provider provider, Telemetry telemetry, boolean captureContent) {
    this.provider = provider;
    this.tracer = telemetry.tracer();
    this.captureContent = captureContent;
    AttributesBuilder common =
        Attributes.builder().put(OPERATION_NAME, "chat").put(PROVIDER_NAME, provider.name());
    provider
        .endpoint()
        .ifPresent(
            uri -> {
              common.put(SERVER_ADDRESS, uri.getHost());
              common.put(SERVER_PORT, port(uri));
            });
    this.common = common.build();
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
  }

  /**
   * Calls the provider inside a {@code chat <model>} span (a child of the current span).
   *
   * @throws ProviderException the provider's failure, after recording it
   */
  @SuppressWarnings("try") // the scope is only closed
  Outcome chat(ChatRequest request) {
    SpanBuilder builder =
        tracer
            .spanBuilder("chat " + request.model())
            .setSpanKind(SpanKind.CLIENT)
            .setAllAttributes(common)
            .setAttribute(REQUEST_MODEL, request.model());
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
    if (!request.stop().isEmpty()) {
      builder.setAttribute(REQUEST_STOP_SEQUENCES, request.stop());
    }
    if (captureContent) {
      builder.setAttribute(INPUT_MESSAGES, inputMessages(request.messages()));
    }
    Span span = builder.startSpan();
    Context context = Context.current().with(span);
    long start = System.nanoTime();
    try (Scope ignored = context.makeCurrent()) {
      ChatResponse response = provider.chat(request);
      long nanos = System.nanoTime() - start;
      span.setAttribute(RESPONSE_MODEL, response.model());
      span.setAttribute(RESPONSE_ID, response.id());
      span.setAttribute(RESPONSE_FINISH_REASONS, List.of(response.finishReason()));
      if (response.inputTokens() >= 0) {
        span.setAttribute(USAGE_INPUT_TOKENS, (long) response.inputTokens());
      }
      if (response.outputTokens() >= 0) {
        span.setAttribute(USAGE_OUTPUT_TOKENS, (long) response.outputTokens());
      }
      if (captureContent) {
        span.setAttribute(OUTPUT_MESSAGES, outputMessage(response));
      }
      Attributes metric =
          common.toBuilder()
              .put(REQUEST_MODEL, request.model())
              .put(RESPONSE_MODEL, response.model())
              .build();
      duration.record(nanos / 1e9, metric, context);
      recordTokens(response.inputTokens(), "input", metric, context);
      recordTokens(response.outputTokens(), "output", metric, context);
      return new Outcome(response, nanos);
    } catch (RuntimeException e) {
      String errorType = e instanceof ProviderException p ? p.errorType() : e.getClass().getName();
      span.recordException(e);
      span.setStatus(StatusCode.ERROR, e.getMessage());
      span.setAttribute(ERROR_TYPE, errorType);
      duration.record(
          (System.nanoTime() - start) / 1e9,
          common.toBuilder().put(REQUEST_MODEL, request.model()).put(ERROR_TYPE, errorType).build(),
          context);
      throw e;
    } finally {
      span.end();
    }
  }

  private void recordTokens(int tokens, String type, Attributes metric, Context context) {
    if (tokens >= 0) {
      tokenUsage.record(tokens, metric.toBuilder().put(TOKEN_TYPE, type).build(), context);
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
