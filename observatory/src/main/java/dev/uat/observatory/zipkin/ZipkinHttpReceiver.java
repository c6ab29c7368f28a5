package dev.uat.observatory.zipkin;

import static java.util.Objects.requireNonNull;

import dev.uat.observatory.ingest.Bodies;
import dev.uat.observatory.ingest.Format;
import dev.uat.observatory.ingest.HeapCharge;
import dev.uat.observatory.ingest.Pipeline;
import dev.uat.observatory.ingest.ReceiverMetrics;
import dev.uat.observatory.model.Span;
import dev.uat.web.HttpError;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.opentelemetry.api.metrics.Meter;
import java.io.IOException;
import java.util.List;
import java.util.Locale;

/**
 * The Zipkin v2 receiver: {@code POST /api/v2/spans} with a JSON list of spans ({@code
 * Content-Type: application/json}; gzip allowed), answered 202 with an empty body as Zipkin does. A
 * body that is not such a list gets 400 and stores nothing; spans with malformed ids are skipped
 * and counted. Other content types get 415: Zipkin's protobuf and Thrift, and a missing type, forms
 * and text, which a browser could send cross-site without a preflight. Limits and pressure answers
 * are those of the OTLP receiver (413, 429/503 with {@code Retry-After}).
 *
 * <p>Metrics: {@code uat.observatory.spans.received} and {@code .spans.rejected} with {@code
 * uat.observatory.receiver=zipkin}. Thread-safe.
 */
public final class ZipkinHttpReceiver {

  private final Pipeline pipeline;
  private final ZipkinJsonDecoder decoder = new ZipkinJsonDecoder();
  private final ReceiverMetrics metrics;

  public ZipkinHttpReceiver(Pipeline pipeline, Meter meter) {
    this.pipeline = requireNonNull(pipeline, "pipeline");
    this.metrics = new ReceiverMetrics(meter, "zipkin");
  }

  public void register(JavalinConfig cfg) {
    cfg.routes.post("/api/v2/spans", this::spans);
  }

  private void spans(Context ctx) throws IOException {
    String type = ctx.header("Content-Type");
    String mediaType = type == null ? "" : type.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
    if (!mediaType.equals("application/json")) {
      throw pipeline.refuse(
          Pipeline.Reason.MEDIA_TYPE,
          new HttpError(
              415,
              "unsupported_media_type",
              "the Zipkin receiver takes Content-Type application/json (Zipkin v2 JSON)"
                  + (mediaType.isEmpty() ? "; none was given" : ", not " + mediaType)));
    }
    try (Pipeline.Permit permit = pipeline.admit()) {
      boolean gzip = Bodies.isGzip(ctx.header("Content-Encoding"), permit);
      byte[] body = Bodies.read(ctx, permit);
      if (gzip) {
        body = Bodies.gunzip(body, permit);
      }
      HeapCharge charge = new HeapCharge(permit);
      ZipkinJsonDecoder.Decoded decoded;
      try {
        decoded = decoder.decode(body, charge);
      } catch (ZipkinJsonDecoder.FormatException | ArithmeticException e) {
        throw HttpError.badRequest(
            "invalid_json", "the body is not a JSON list of Zipkin v2 spans: " + e.getMessage());
      }
      pipeline.deliver(
          decoded.spans(), Format.ZIPKIN_JSON, body, System.currentTimeMillis(), charge.charged());
      metrics.record(decoded.spans().size(), decoded.rejected());
      ctx.status(202);
    }
  }

  /**
   * Decodes a body that was stored in the journal (the replay at start).
   *
   * @throws IllegalArgumentException when it is not a valid list of spans
   */
  public List<Span> decodeStored(byte[] body) {
    try {
      return decoder.decode(body).spans();
    } catch (ZipkinJsonDecoder.FormatException e) {
      throw new IllegalArgumentException(e.getMessage());
    }
  }
}
