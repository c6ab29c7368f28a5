package dev.uat.observatory.otlp;

import static java.util.Objects.requireNonNull;

import dev.uat.observatory.ingest.Bodies;
import dev.uat.observatory.ingest.Format;
import dev.uat.observatory.ingest.HeapCharge;
import dev.uat.observatory.ingest.Pipeline;
import dev.uat.observatory.ingest.ReceiverMetrics;
import dev.uat.observatory.model.Span;
import dev.uat.web.HttpError;
import dev.uat.web.Json;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.opentelemetry.api.metrics.Meter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The OTLP/HTTP receiver: {@code POST /v1/traces} in the protobuf ({@code application/x-protobuf})
 * and JSON ({@code application/json}) encodings, optionally gzipped; and {@code POST /v1/metrics}
 * and {@code /v1/logs}, answered with success and discarded, so that an SDK pointed at the
 * observatory does not log export errors.
 *
 * <p>Answers per the OTLP/HTTP specification: an empty {@code ExportTraceServiceResponse} (or
 * {@code {}}), with {@code partial_success} when some spans were rejected (invalid ids) while the
 * others were stored. A request that cannot be read at all gets a JSON error: 400 for malformed
 * content, 413 above {@value #MAX_BODY_BYTES} bytes (or {@value #MAX_DECOMPRESSED_BYTES} once
 * decompressed), 415 for other content types (a missing one, forms and text included: what a
 * browser may send cross-site without a preflight) or encodings, 429 or 503 with {@code
 * Retry-After} when the {@link Pipeline}'s in-flight budget is taken or the observatory is closing.
 * Decoding runs on the request's thread, its objects reserved in the budget as they are made
 * ({@link HeapCharge}); spans go to the store synchronously. Thread-safe.
 *
 * <p>Metrics: {@code uat.observatory.spans.received} counts the spans of well-formed requests,
 * {@code uat.observatory.spans.rejected} those of them that were rejected.
 */
public final class OtlpHttpReceiver {
  /** Largest request body accepted, as sent (4 MiB). */
  public static final long MAX_BODY_BYTES = Bodies.MAX_BODY_BYTES;

  /** Largest request body accepted after gzip decompression (4 MiB). */
  public static final long MAX_DECOMPRESSED_BYTES = Bodies.MAX_DECOMPRESSED_BYTES;

  static final String PROTOBUF = "application/x-protobuf";
  static final String JSON = "application/json";

  private static final byte[] EMPTY_PROTOBUF = new byte[0];
  private static final byte[] EMPTY_JSON = "{}".getBytes(StandardCharsets.UTF_8);

  private final Pipeline pipeline;
  private final OtlpProtoDecoder protoDecoder = new OtlpProtoDecoder();
  private final OtlpJsonDecoder jsonDecoder = new OtlpJsonDecoder();
  private final ReceiverMetrics metrics;

  public OtlpHttpReceiver(Pipeline pipeline, Meter meter) {
    this.pipeline = requireNonNull(pipeline, "pipeline");
    requireNonNull(meter, "meter");
    this.metrics = new ReceiverMetrics(meter, "otlp_http");
  }

  /** Registers the routes; pass as {@code Service.builder(..).routes(receiver::register)}. */
  public void register(JavalinConfig cfg) {
    cfg.routes.post("/v1/traces", this::traces);
    cfg.routes.post("/v1/metrics", OtlpHttpReceiver::discard);
    cfg.routes.post("/v1/logs", OtlpHttpReceiver::discard);
  }

  private void traces(Context ctx) throws IOException {
    boolean protobuf = mediaType(ctx);
    try (Pipeline.Permit permit = pipeline.admit()) {
      boolean gzip = Bodies.isGzip(ctx.header("Content-Encoding"), permit);
      byte[] body = Bodies.read(ctx, permit);
      if (gzip) {
        body = Bodies.gunzip(body, permit);
      }
      HeapCharge charge = new HeapCharge(permit);
      DecodedSpans decoded = decode(protobuf, body, charge);
      pipeline.deliver(
          decoded.spans,
          protobuf ? Format.OTLP_PROTOBUF : Format.OTLP_JSON,
          body,
          System.currentTimeMillis(),
          charge.charged());
      metrics.record(decoded.spans.size(), decoded.rejected);
      respond(ctx, protobuf, decoded);
    }
  }

  /** {@link #isProtobuf}, counting a refusal. */
  private boolean mediaType(Context ctx) {
    try {
      return isProtobuf(ctx.header("Content-Type"));
    } catch (HttpError e) {
      throw pipeline.refuse(Pipeline.Reason.MEDIA_TYPE, e);
    }
  }

  private DecodedSpans decode(boolean protobuf, byte[] body, HeapCharge charge) {
    try {
      return protobuf ? protoDecoder.decode(body, charge) : jsonDecoder.decode(body, charge);
    } catch (OtlpFormatException e) {
      throw HttpError.badRequest(
          protobuf ? "invalid_protobuf" : "invalid_json",
          "the body is not an OTLP ExportTraceServiceRequest: " + e.getMessage());
    }
  }

  /**
   * Decodes a body that was stored in the journal (the replay at start).
   *
   * @throws IllegalArgumentException when it is not a valid request
   */
  public List<Span> decodeStored(Format format, byte[] body) {
    try {
      return switch (format) {
        case OTLP_PROTOBUF -> protoDecoder.decode(body).spans;
        case OTLP_JSON -> jsonDecoder.decode(body).spans;
        default -> throw new IllegalArgumentException("not an OTLP format: " + format);
      };
    } catch (OtlpFormatException e) {
      throw new IllegalArgumentException(e.getMessage());
    }
  }

  private static void discard(Context ctx) {
    boolean protobuf = isProtobuf(ctx.header("Content-Type"));
    ctx.contentType(protobuf ? PROTOBUF : JSON).result(protobuf ? EMPTY_PROTOBUF : EMPTY_JSON);
  }

  private static void respond(Context ctx, boolean protobuf, DecodedSpans decoded) {
    if (protobuf) {
      ctx.contentType(PROTOBUF)
          .result(
              decoded.rejected == 0
                  ? EMPTY_PROTOBUF
                  : partialSuccess(decoded.rejected, decoded.rejectionMessage()));
    } else if (decoded.rejected == 0) {
      ctx.contentType(JSON).result(EMPTY_JSON);
    } else {
      // proto3 JSON writes int64 as a string
      Map<String, Object> partial =
          Map.of(
              "rejectedSpans",
              Long.toString(decoded.rejected),
              "errorMessage",
              decoded.rejectionMessage());
      ctx.contentType(JSON).result(Json.write(Map.of("partialSuccess", partial)));
    }
  }

  /** True for protobuf, false for JSON; 415 for anything else. */
  static boolean isProtobuf(String contentType) {
    String mediaType =
        contentType == null ? "" : contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
    return switch (mediaType) {
      case PROTOBUF, "application/protobuf" -> true;
      case JSON -> false;
      default ->
          throw new HttpError(
              415,
              "unsupported_media_type",
              "OTLP/HTTP takes Content-Type "
                  + PROTOBUF
                  + " or "
                  + JSON
                  + (mediaType.isEmpty() ? "; none was given" : ", not " + mediaType));
    };
  }

  /** An {@code ExportTraceServiceResponse} with {@code partial_success} set. */
  static byte[] partialSuccess(long rejectedSpans, String errorMessage) {
    ByteArrayOutputStream inner = new ByteArrayOutputStream();
    ProtoOutput.writeVarint(
        inner, ProtoFields.ExportTracePartialSuccess.REJECTED_SPANS, rejectedSpans);
    ProtoOutput.writeBytes(
        inner,
        ProtoFields.ExportTracePartialSuccess.ERROR_MESSAGE,
        errorMessage.getBytes(StandardCharsets.UTF_8));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ProtoOutput.writeBytes(
        out, ProtoFields.ExportTraceServiceResponse.PARTIAL_SUCCESS, inner.toByteArray());
    return out.toByteArray();
  }
}
