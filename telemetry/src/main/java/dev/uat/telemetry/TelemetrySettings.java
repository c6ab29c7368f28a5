package dev.uat.telemetry;

import static java.util.Objects.requireNonNull;

import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * What a component asks of its SDK before the {@code OTEL_*} environment has its say.
 *
 * <p>{@link #defaults()} are overridden by {@code OTEL_*} environment variables and {@code otel.*}
 * system properties; {@link #overrides()} win over both. In the all-in-one mode the service name is
 * an override (four services share one JVM and one environment, and each must keep its name); a
 * component started alone lets {@code OTEL_SERVICE_NAME} rename it.
 *
 * <p>Spans go over OTLP/HTTP ({@code http/protobuf}) unless {@code OTEL_EXPORTER_OTLP_PROTOCOL} (or
 * {@code OTEL_EXPORTER_OTLP_TRACES_PROTOCOL}) says {@code grpc}; then, unless an endpoint was
 * configured too, to {@code otlpGrpcEndpoint} instead of {@code otlpEndpoint} (see {@link
 * #overrides(ConfigProperties)}). gRPC export needs a gRPC sender on the class path ({@code
 * io.opentelemetry:opentelemetry-exporter-sender-okhttp}); without one the SDK fails to build with
 * a message that names it.
 *
 * @param serviceName {@code service.name}, e.g. {@code uat-api}
 * @param otlpEndpoint base URL of the OTLP/HTTP receiver, e.g. {@code http://127.0.0.1:4318}
 * @param forceServiceName true in the all-in-one mode
 * @param tracesEnabled false to export no spans at all (the observatory, which must not trace its
 *     own ingest)
 * @param otlpGrpcEndpoint URL of the OTLP/gRPC receiver, e.g. {@code http://127.0.0.1:4317}: the
 *     endpoint when the protocol is {@code grpc} and no endpoint is configured
 */
public record TelemetrySettings(
    String serviceName,
    String otlpEndpoint,
    boolean forceServiceName,
    boolean tracesEnabled,
    String otlpGrpcEndpoint) {

  /** The OTLP/gRPC endpoint when none is given: the observatory's default gRPC port on loopback. */
  public static final String DEFAULT_OTLP_GRPC_ENDPOINT = "http://127.0.0.1:4317";

  /** Delay between span exports: short, so a span is queryable well within a second. */
  public static final String BATCH_DELAY_MILLIS = "200";

  /**
   * Span queue per component, sized for the load. A chat makes ~21 spans, 12 of them in the api
   * (measured: 69,292 api spans for 5,733 chats). At the chat rate this work aims for (~1,500
   * chats/s on 2 cores) the api ends ~18,000 spans/s, 3,600 per {@value #BATCH_DELAY_MILLIS} ms
   * delay; 8,192 spans hold 0.45 s of that at the peak and 3 s at today's loaded rates, while the
   * worker exports a full batch as soon as one is queued. The SDK default (2,048) silently dropped
   * half of the spans at 60k spans/s here (DEPENDENCIES.md); the earlier 32,768 let four queues
   * hold ~150 MB of a 256 MiB heap while a backend hung (docs/reliability.md, finding 2). Drops are
   * counted on {@code /metrics} as {@code processedSpans_total{dropped="true"}} (and the queue's
   * fill as {@code queueSize}).
   */
  public static final String QUEUE_SIZE = "8192";

  /** Spans per export request: the api's 3,600 spans of one delay at the peak go in two. */
  public static final String EXPORT_BATCH_SIZE = "2048";

  /**
   * How long one export may take (OTLP exporter and batch processor alike), in ms. The SDK's
   * defaults (10 s for the exporter, 30 s for the processor) let a backend that accepts and never
   * answers hold the processor's one worker that long while the queue fills; 2 s is ample for a
   * batch of {@value #EXPORT_BATCH_SIZE} spans (~400 KB) to a Collector on the local network.
   */
  public static final String EXPORT_TIMEOUT_MILLIS = "2000";

  public TelemetrySettings {
    requireNonNull(serviceName, "serviceName");
    requireNonNull(otlpEndpoint, "otlpEndpoint");
    requireNonNull(otlpGrpcEndpoint, "otlpGrpcEndpoint");
  }

  /** OTLP/gRPC, when asked for, to {@link #DEFAULT_OTLP_GRPC_ENDPOINT}. */
  public TelemetrySettings(
      String serviceName, String otlpEndpoint, boolean forceServiceName, boolean tracesEnabled) {
    this(serviceName, otlpEndpoint, forceServiceName, tracesEnabled, DEFAULT_OTLP_GRPC_ENDPOINT);
  }

  /** Our defaults; the {@code OTEL_*} environment overrides each of them. */
  public Map<String, String> defaults() {
    Map<String, String> d = new LinkedHashMap<>();
    d.put("otel.service.name", serviceName);
    d.put("otel.exporter.otlp.protocol", "http/protobuf");
    d.put("otel.exporter.otlp.endpoint", otlpEndpoint);
    d.put("otel.traces.exporter", "otlp");
    d.put("otel.traces.sampler", "parentbased_always_on");
    d.put("otel.bsp.schedule.delay", BATCH_DELAY_MILLIS);
    d.put("otel.bsp.max.queue.size", QUEUE_SIZE);
    d.put("otel.bsp.max.export.batch.size", EXPORT_BATCH_SIZE);
    d.put("otel.bsp.export.timeout", EXPORT_TIMEOUT_MILLIS);
    d.put("otel.exporter.otlp.timeout", EXPORT_TIMEOUT_MILLIS);
    d.put("otel.metrics.exporter", "none"); // read by /metrics instead
    d.put("otel.logs.exporter", "none");
    d.put("otel.metric.export.interval", "60000");
    d.put("otel.metrics.exemplar.filter", "trace_based");
    return d;
  }

  /**
   * {@link #overrides()}, and the endpoint for gRPC: when {@code configured} (our defaults with the
   * environment on top) asks for protocol {@code grpc} for traces and its endpoint is still our
   * OTLP/HTTP default ({@code otlpEndpoint}; no traces endpoint set), {@code otlpGrpcEndpoint}. The
   * SDK would otherwise send gRPC to the OTLP/HTTP port.
   */
  public Map<String, String> overrides(ConfigProperties configured) {
    Map<String, String> o = overrides();
    String protocol =
        configured.getString(
            "otel.exporter.otlp.traces.protocol",
            configured.getString("otel.exporter.otlp.protocol", ""));
    if (protocol.trim().toLowerCase(Locale.ROOT).equals("grpc")
        && configured.getString("otel.exporter.otlp.traces.endpoint") == null
        && Objects.equals(configured.getString("otel.exporter.otlp.endpoint"), otlpEndpoint)) {
      o.put("otel.exporter.otlp.endpoint", otlpGrpcEndpoint);
    }
    return o;
  }

  /**
   * True when {@code configured} (our defaults with the environment on top) sends spans over
   * OTLP/HTTP ({@code http/protobuf}) to {@link #otlpEndpoint()}: no traces exporter other than
   * {@code otlp}, no other protocol, no other endpoint. Only then may an in-process exporter stand
   * in for it ({@link Telemetry#create(TelemetrySettings,
   * io.opentelemetry.sdk.trace.export.SpanExporter)}).
   */
  boolean exportsToDefaultEndpoint(ConfigProperties configured) {
    String protocol =
        configured.getString(
            "otel.exporter.otlp.traces.protocol",
            configured.getString("otel.exporter.otlp.protocol", "http/protobuf"));
    return protocol.trim().toLowerCase(Locale.ROOT).equals("http/protobuf")
        && configured.getString("otel.exporter.otlp.traces.endpoint") == null
        && Objects.equals(configured.getString("otel.exporter.otlp.endpoint"), otlpEndpoint);
  }

  /** Settings that win over the environment. */
  public Map<String, String> overrides() {
    Map<String, String> o = new LinkedHashMap<>();
    if (forceServiceName) {
      o.put("otel.service.name", serviceName);
    }
    if (!tracesEnabled) {
      o.put("otel.traces.exporter", "none");
      o.put("otel.traces.sampler", "always_off");
    }
    return o;
  }
}
