package dev.uat.observatory.model;

import dev.uat.telemetry.UatAttributes;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.semconv.ServiceAttributes;

/**
 * The attribute keys of the observatory in one place: the span attributes it reads (from the
 * library's semantic-convention constants and {@link UatAttributes}), and the attributes of its own
 * metrics (its {@code uat.observatory.*} keys and the spanmetrics connector's labels).
 */
public final class AttributeNames {
  private AttributeNames() {}

  // --- read from spans ---

  public static final String SERVICE_NAME = ServiceAttributes.SERVICE_NAME.getKey();
  public static final String GEN_AI_OPERATION_NAME = UatAttributes.GEN_AI_OPERATION_NAME.getKey();
  public static final String GEN_AI_PROVIDER_NAME = UatAttributes.GEN_AI_PROVIDER_NAME.getKey();
  public static final String GEN_AI_REQUEST_MODEL = UatAttributes.GEN_AI_REQUEST_MODEL.getKey();
  public static final String GEN_AI_RESPONSE_MODEL = UatAttributes.GEN_AI_RESPONSE_MODEL.getKey();
  public static final String GEN_AI_USAGE_INPUT_TOKENS =
      UatAttributes.GEN_AI_USAGE_INPUT_TOKENS.getKey();
  public static final String GEN_AI_USAGE_OUTPUT_TOKENS =
      UatAttributes.GEN_AI_USAGE_OUTPUT_TOKENS.getKey();

  /** The provider's name before {@code gen_ai.provider.name} replaced it; older senders use it. */
  public static final String GEN_AI_SYSTEM = "gen_ai.system";

  /** Time to first token, in seconds (GenAI conventions; the platform does not record it). */
  public static final String GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK =
      "gen_ai.response.time_to_first_chunk";

  // --- Jaeger's derived tags (the OpenTelemetry Collector's translator/jaeger) ---
  // literals, so that a switch can use them; AttributeNamesTest checks them against the library

  public static final String ERROR = "error";
  public static final String SPAN_KIND = "span.kind";
  public static final String OTEL_STATUS_CODE = "otel.status_code";
  public static final String OTEL_STATUS_DESCRIPTION = "otel.status_description";
  public static final String OTEL_SCOPE_NAME = "otel.scope.name";
  public static final String OTEL_SCOPE_VERSION = "otel.scope.version";
  public static final String W3C_TRACESTATE = "w3c.tracestate";

  // --- on the observatory's own metrics ---

  /**
   * Which receiver took the spans ({@code otlp_http}, {@code otlp_grpc}, {@code zipkin}, {@code
   * in_process}).
   */
  public static final AttributeKey<String> RECEIVER =
      AttributeKey.stringKey("uat.observatory.receiver");

  /** Why a request was refused or what was counted. */
  public static final AttributeKey<String> REASON = AttributeKey.stringKey("reason");

  /** Which field a length cap cut. */
  public static final AttributeKey<String> FIELD = AttributeKey.stringKey("field");

  /** The spanmetrics connector's labels. */
  public static final AttributeKey<String> SPANMETRICS_SERVICE_NAME =
      ServiceAttributes.SERVICE_NAME;

  public static final AttributeKey<String> SPANMETRICS_SPAN_NAME =
      AttributeKey.stringKey("span.name");
  public static final AttributeKey<String> SPANMETRICS_SPAN_KIND =
      AttributeKey.stringKey("span.kind");
  public static final AttributeKey<String> SPANMETRICS_STATUS_CODE =
      AttributeKey.stringKey("status.code");
}
