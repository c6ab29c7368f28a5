package dev.uat.telemetry;

import static io.opentelemetry.api.common.AttributeKey.booleanKey;
import static io.opentelemetry.api.common.AttributeKey.doubleKey;
import static io.opentelemetry.api.common.AttributeKey.longKey;
import static io.opentelemetry.api.common.AttributeKey.stringArrayKey;
import static io.opentelemetry.api.common.AttributeKey.stringKey;

import io.opentelemetry.api.common.AttributeKey;
import java.util.List;

/**
 * The attribute keys the library's stable semantic conventions ({@code
 * io.opentelemetry.semconv.HttpAttributes} and friends) do not have, in one place: the incubating
 * GenAI, messaging and user conventions, written as the specification names them, and the
 * platform's own {@code uat.*} keys. Use the library's constants for everything else.
 */
public final class UatAttributes {
  private UatAttributes() {}

  // GenAI (incubating: https://opentelemetry.io/docs/specs/semconv/gen-ai/)
  public static final AttributeKey<String> GEN_AI_OPERATION_NAME =
      stringKey("gen_ai.operation.name");
  public static final AttributeKey<String> GEN_AI_PROVIDER_NAME = stringKey("gen_ai.provider.name");
  public static final AttributeKey<String> GEN_AI_REQUEST_MODEL = stringKey("gen_ai.request.model");
  public static final AttributeKey<Long> GEN_AI_REQUEST_MAX_TOKENS =
      longKey("gen_ai.request.max_tokens");
  public static final AttributeKey<Long> GEN_AI_REQUEST_SEED = longKey("gen_ai.request.seed");
  public static final AttributeKey<List<String>> GEN_AI_REQUEST_STOP_SEQUENCES =
      stringArrayKey("gen_ai.request.stop_sequences");
  public static final AttributeKey<Double> GEN_AI_REQUEST_TEMPERATURE =
      doubleKey("gen_ai.request.temperature");
  public static final AttributeKey<Double> GEN_AI_REQUEST_TOP_P = doubleKey("gen_ai.request.top_p");
  public static final AttributeKey<Double> GEN_AI_REQUEST_FREQUENCY_PENALTY =
      doubleKey("gen_ai.request.frequency_penalty");
  public static final AttributeKey<Double> GEN_AI_REQUEST_PRESENCE_PENALTY =
      doubleKey("gen_ai.request.presence_penalty");
  public static final AttributeKey<Boolean> GEN_AI_REQUEST_STREAM =
      booleanKey("gen_ai.request.stream");
  public static final AttributeKey<Double> GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK =
      doubleKey("gen_ai.response.time_to_first_chunk");
  public static final AttributeKey<String> GEN_AI_RESPONSE_MODEL =
      stringKey("gen_ai.response.model");
  public static final AttributeKey<String> GEN_AI_RESPONSE_ID = stringKey("gen_ai.response.id");
  public static final AttributeKey<List<String>> GEN_AI_RESPONSE_FINISH_REASONS =
      stringArrayKey("gen_ai.response.finish_reasons");
  public static final AttributeKey<Long> GEN_AI_USAGE_INPUT_TOKENS =
      longKey("gen_ai.usage.input_tokens");
  public static final AttributeKey<Long> GEN_AI_USAGE_OUTPUT_TOKENS =
      longKey("gen_ai.usage.output_tokens");
  public static final AttributeKey<String> GEN_AI_TOKEN_TYPE = stringKey("gen_ai.token.type");
  public static final AttributeKey<String> GEN_AI_INPUT_MESSAGES =
      stringKey("gen_ai.input.messages");
  public static final AttributeKey<String> GEN_AI_OUTPUT_MESSAGES =
      stringKey("gen_ai.output.messages");
  public static final AttributeKey<Long> GEN_AI_EMBEDDINGS_DIMENSION_COUNT =
      longKey("gen_ai.embeddings.dimension.count");

  // Messaging (incubating: https://opentelemetry.io/docs/specs/semconv/messaging/)
  public static final AttributeKey<String> MESSAGING_SYSTEM = stringKey("messaging.system");
  public static final AttributeKey<String> MESSAGING_OPERATION_TYPE =
      stringKey("messaging.operation.type");
  public static final AttributeKey<String> MESSAGING_OPERATION_NAME =
      stringKey("messaging.operation.name");
  public static final AttributeKey<String> MESSAGING_DESTINATION_NAME =
      stringKey("messaging.destination.name");
  public static final AttributeKey<String> MESSAGING_DESTINATION_TEMPLATE =
      stringKey("messaging.destination.template");
  public static final AttributeKey<String> MESSAGING_MESSAGE_ID = stringKey("messaging.message.id");
  public static final AttributeKey<Long> MESSAGING_BATCH_MESSAGE_COUNT =
      longKey("messaging.batch.message_count");

  // User and database operation (incubating)
  public static final AttributeKey<String> USER_ID = stringKey("user.id");
  public static final AttributeKey<String> DB_OPERATION_NAME = stringKey("db.operation.name");

  // The platform's own keys
  public static final AttributeKey<String> CONVERSATION_ID = stringKey("uat.conversation.id");
  public static final AttributeKey<String> EVENT_NAME = stringKey("uat.event.name");
  public static final AttributeKey<String> AUTH_CREDENTIAL = stringKey("uat.auth.credential");
  public static final AttributeKey<Boolean> REALTIME_RECOVERED =
      booleanKey("uat.realtime.recovered");
  public static final AttributeKey<Long> REALTIME_RECIPIENTS = longKey("uat.realtime.recipients");
  public static final AttributeKey<Double> REALTIME_DELIVERY_LATENCY_MS =
      doubleKey("uat.realtime.delivery.latency_ms");
}
