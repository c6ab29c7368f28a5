package dev.uat.observatory.otlp;

import static java.util.Objects.requireNonNull;

import dev.uat.observatory.store.SpanConsumer;
import dev.uat.web.HttpError;
import dev.uat.web.Json;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.zip.GZIPInputStream;

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
 * decompressed), 415 for other content types or encodings. Decoding runs on the request's thread;
 * spans go to the {@link SpanConsumer} synchronously. Thread-safe.
 *
 * <p>Metrics: {@code uat.observatory.spans.received} counts the spans of well-formed requests,
 * {@code uat.observatory.spans.rejected} those of them that were rejected.
 */
public final class OtlpHttpReceiver {
  /** Largest request body accepted, as sent (8 MiB). */
  public static final long MAX_BODY_BYTES = 8L * 1024 * 1024;

  /** Largest request body accepted after gzip decompression (64 MiB). */
  public static final long MAX_DECOMPRESSED_BYTES = 64L * 1024 * 1024;

  static final String PROTOBUF = "application/x-protobuf";
  static final String JSON = "application/json";

  private static final byte[] EMPTY_PROTOBUF = new byte[0];
  private static final byte[] EMPTY_JSON = "{}".getBytes(StandardCharsets.UTF_8);
  private static final io.opentelemetry.api.common.Attributes OTLP_HTTP =
      io.opentelemetry.api.common.Attributes.of(
          AttributeKey.stringKey("uat.observatory.receiver"), "otlp_http");

  private final SpanConsumer consumer;
  private final OtlpProtoDecoder protoDecoder = new OtlpProtoDecoder();
  private final OtlpJsonDecoder jsonDecoder = new OtlpJsonDecoder();
  private final LongCounter received;
  private final LongCounter rejected;

  public OtlpHttpReceiver(SpanConsumer consumer, Meter meter) {
    this.consumer = requireNonNull(consumer, "consumer");
    requireNonNull(meter, "meter");
    this.received =
        meter
            .counterBuilder("uat.observatory.spans.received")
            .setUnit("{span}")
            .setDescription("Spans received in well-formed export requests")
            .build();
    this.rejected =
        meter
            .counterBuilder("uat.observatory.spans.rejected")
            .setUnit("{span}")
            .setDescription("Spans rejected from well-formed export requests (invalid ids)")
            .build();
  }

  /** Registers the routes; pass as {@code Service.builder(..).routes(receiver::register)}. */
  public void register(JavalinConfig cfg) {
    cfg.routes.post("/v1/traces", this::traces);
    cfg.routes.post("/v1/metrics", OtlpHttpReceiver::discard);
    cfg.routes.post("/v1/logs", OtlpHttpReceiver::discard);
  }

  private void traces(Context ctx) throws IOException {
    boolean protobuf = isProtobuf(ctx.header("Content-Type"));
    byte[] body = decompress(ctx.header("Content-Encoding"), readBody(ctx));
    DecodedSpans decoded;
    try {
      decoded = protobuf ? protoDecoder.decode(body) : jsonDecoder.decode(body);
    } catch (OtlpFormatException e) {
      throw HttpError.badRequest(
          protobuf ? "invalid_protobuf" : "invalid_json",
          "the body is not an OTLP ExportTraceServiceRequest: " + e.getMessage());
    }
    if (!decoded.spans.isEmpty()) {
      consumer.accept(decoded.spans);
    }
    received.add(decoded.spans.size() + decoded.rejected, OTLP_HTTP);
    if (decoded.rejected > 0) {
      rejected.add(decoded.rejected, OTLP_HTTP);
    }
    respond(ctx, protobuf, decoded);
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

  /** The body as sent, refused with 413 above the limit whether or not it declares a length. */
  private static byte[] readBody(Context ctx) throws IOException {
    long declared = ctx.req().getContentLengthLong();
    if (declared > MAX_BODY_BYTES) {
      throw tooLarge(MAX_BODY_BYTES);
    }
    InputStream in = ctx.req().getInputStream();
    byte[] body = in.readNBytes((int) (declared >= 0 ? declared : MAX_BODY_BYTES + 1));
    if (body.length > MAX_BODY_BYTES) {
      throw tooLarge(MAX_BODY_BYTES);
    }
    return body;
  }

  static byte[] decompress(String contentEncoding, byte[] body) {
    String encoding =
        contentEncoding == null ? "" : contentEncoding.trim().toLowerCase(Locale.ROOT);
    return switch (encoding) {
      case "", "identity" -> body;
      case "gzip", "x-gzip" -> gunzip(body);
      default ->
          throw new HttpError(
              415,
              "unsupported_content_encoding",
              "Content-Encoding " + encoding + " is not supported; use gzip or none");
    };
  }

  private static byte[] gunzip(byte[] body) {
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(body))) {
      ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, body.length * 4));
      byte[] chunk = new byte[16 * 1024];
      for (int n; (n = in.read(chunk)) >= 0; ) {
        if (out.size() + n > MAX_DECOMPRESSED_BYTES) {
          throw tooLarge(MAX_DECOMPRESSED_BYTES);
        }
        out.write(chunk, 0, n);
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw HttpError.badRequest("invalid_gzip", "the body is not valid gzip data");
    }
  }

  private static HttpError tooLarge(long limit) {
    return HttpError.tooLarge("the body is larger than " + limit + " bytes");
  }

  /** An {@code ExportTraceServiceResponse} with {@code partial_success} set. */
  static byte[] partialSuccess(long rejectedSpans, String errorMessage) {
    byte[] message = errorMessage.getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream inner = new ByteArrayOutputStream();
    inner.write(1 << 3); // rejected_spans, varint
    writeVarint(inner, rejectedSpans);
    inner.write(2 << 3 | 2); // error_message, length-delimited
    writeVarint(inner, message.length);
    inner.writeBytes(message);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(1 << 3 | 2); // partial_success
    writeVarint(out, inner.size());
    out.writeBytes(inner.toByteArray());
    return out.toByteArray();
  }

  private static void writeVarint(ByteArrayOutputStream out, long value) {
    while ((value & ~0x7FL) != 0) {
      out.write((int) ((value & 0x7F) | 0x80));
      value >>>= 7;
    }
    out.write((int) value);
  }
}
