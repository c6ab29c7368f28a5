package dev.uat.telemetry;

import static java.util.Objects.requireNonNull;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.common.ComponentLoader;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.prometheus.PrometheusMetricReader;
import io.opentelemetry.instrumentation.runtimetelemetry.RuntimeTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.common.export.HttpSenderProvider;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.semconv.ServiceAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One OpenTelemetry SDK for one component (api, router, ...). Several live side by side in the
 * all-in-one JVM, each with its own {@code service.name}; nothing here touches {@code
 * GlobalOpenTelemetry}.
 *
 * <p>The SDK is configured from the standard {@code OTEL_*} environment variables and system
 * properties, on top of our defaults (see {@link TelemetrySettings}). Metrics are read on demand by
 * the component's {@code /metrics} endpoint; spans go to OTLP/HTTP on the JDK's HTTP client, or to
 * OTLP/gRPC when {@code OTEL_EXPORTER_OTLP_PROTOCOL=grpc} (that needs a gRPC sender on the class
 * path: {@code opentelemetry-exporter-sender-okhttp}; OTLP/HTTP stays on the JDK client even then),
 * or to an exporter given to {@link #create(TelemetrySettings, SpanExporter)} (the all-in-one's
 * in-process hand-over to the embedded observatory).
 *
 * <p>Thread-safe. {@link #close()} flushes pending spans.
 */
public final class Telemetry implements AutoCloseable {
  /** Instrumentation scope of everything this project records itself. */
  public static final String SCOPE = "dev.uat";

  /**
   * The SDK's plug-ins as found on the class path, except that OTLP/HTTP keeps the JDK sender when
   * another is present too (the OkHttp sender, which brings the gRPC sender): the SDK would
   * otherwise pick one of them at random and log a warning at each start.
   */
  private static final ComponentLoader JDK_HTTP_SENDER =
      new ComponentLoader() {
        private final ComponentLoader classPath =
            ComponentLoader.forClassLoader(Telemetry.class.getClassLoader());

        @Override
        public <T> Iterable<T> load(Class<T> type) {
          Iterable<T> found = classPath.load(type);
          if (type != HttpSenderProvider.class) {
            return found;
          }
          List<T> jdk = new ArrayList<>();
          List<T> all = new ArrayList<>();
          for (T provider : found) {
            all.add(provider);
            if (provider.getClass().getName().startsWith(JDK_SENDER_PACKAGE)) {
              jdk.add(provider);
            }
          }
          return jdk.isEmpty() ? all : jdk;
        }
      };

  private static final String JDK_SENDER_PACKAGE = "io.opentelemetry.exporter.sender.jdk.";

  static {
    // The library instrumentations emit the stable database conventions (db.system.name,
    // db.query.text) only when asked, and read the switch once, when the first of them loads:
    // so it is set here, before any. A user's own OTEL_SEMCONV_STABILITY_OPT_IN wins.
    if (System.getProperty("otel.semconv-stability.opt-in") == null
        && System.getenv("OTEL_SEMCONV_STABILITY_OPT_IN") == null) {
      System.setProperty("otel.semconv-stability.opt-in", "database");
    }
  }

  private final String serviceName;
  private final OpenTelemetry openTelemetry;
  private final OpenTelemetrySdk sdk; // null when the SDK is disabled
  private final PrometheusMetricReader metricReader; // null when the SDK is disabled
  private final RuntimeTelemetry runtime;
  private final Tracer tracer;
  private final Meter meter;

  private Telemetry(
      String serviceName, OpenTelemetry openTelemetry, PrometheusMetricReader metricReader) {
    this.serviceName = serviceName;
    this.openTelemetry = openTelemetry;
    this.sdk = openTelemetry instanceof OpenTelemetrySdk s ? s : null;
    this.metricReader = metricReader;
    this.runtime = metricReader == null ? null : RuntimeTelemetry.create(openTelemetry);
    this.tracer = openTelemetry.getTracer(SCOPE);
    this.meter = openTelemetry.getMeter(SCOPE);
  }

  /** Builds the SDK from {@code settings} and the {@code OTEL_*} environment. */
  public static Telemetry create(TelemetrySettings settings) {
    return create(settings, null);
  }

  /**
   * Builds the SDK from {@code settings} and the {@code OTEL_*} environment, with spans going to
   * {@code local} instead of over OTLP/HTTP to {@link TelemetrySettings#otlpEndpoint()}: the
   * all-in-one hands its spans to the embedded observatory in process. The batch span processor,
   * its settings ({@code OTEL_BSP_*}) and its drop counts stay as they are; only the exporter at
   * its end changes. The environment still wins: when it chose another exporter, protocol or
   * endpoint ({@code OTEL_TRACES_EXPORTER}, {@code OTEL_EXPORTER_OTLP_*}), spans go where it says
   * and {@code local} is shut down unused. The SDK shuts {@code local} down when it closes.
   *
   * @param local the exporter for spans meant for the default endpoint; null for OTLP
   */
  public static Telemetry create(TelemetrySettings settings, SpanExporter local) {
    requireNonNull(settings, "settings");
    AtomicBoolean localUsed = new AtomicBoolean();
    PrometheusMetricReader reader =
        PrometheusMetricReader.builder().setOtelScopeLabelsEnabled(false).build();
    AtomicBoolean readerRegistered = new AtomicBoolean();
    AtomicReference<String> name = new AtomicReference<>(settings.serviceName());
    AutoConfiguredOpenTelemetrySdk auto =
        AutoConfiguredOpenTelemetrySdk.builder()
            .addPropertiesSupplier(settings::defaults)
            .addPropertiesCustomizer(settings::overrides)
            .setComponentLoader(JDK_HTTP_SENDER)
            .addResourceCustomizer(
                (resource, config) -> {
                  String configured = resource.getAttribute(ServiceAttributes.SERVICE_NAME);
                  if (configured != null) {
                    name.set(configured);
                  }
                  return resource;
                })
            .addSpanExporterCustomizer(
                (exporter, config) -> {
                  if (local != null
                      && exporter instanceof OtlpHttpSpanExporter
                      && settings.exportsToDefaultEndpoint(config)) {
                    exporter.shutdown(); // built by the autoconfiguration, never used
                    localUsed.set(true);
                    return local;
                  }
                  return exporter;
                })
            .addMeterProviderCustomizer(
                (builder, config) -> {
                  readerRegistered.set(true);
                  return builder.registerMetricReader(reader);
                })
            .disableShutdownHook()
            .build();
    if (local != null && !localUsed.get()) {
      local.shutdown();
    }
    return new Telemetry(
        name.get(), auto.getOpenTelemetrySdk(), readerRegistered.get() ? reader : null);
  }

  /**
   * Wraps an SDK built elsewhere (tests build one with an in-memory exporter). {@code reader} may
   * be null when the SDK has no Prometheus reader.
   */
  public static Telemetry of(
      String serviceName, OpenTelemetrySdk sdk, PrometheusMetricReader reader) {
    return new Telemetry(requireNonNull(serviceName, "serviceName"), sdk, reader);
  }

  /** A telemetry that records nothing: for tools and tests that don't look at telemetry. */
  public static Telemetry noop(String serviceName) {
    return new Telemetry(requireNonNull(serviceName, "serviceName"), OpenTelemetry.noop(), null);
  }

  public String serviceName() {
    return serviceName;
  }

  public OpenTelemetry openTelemetry() {
    return openTelemetry;
  }

  public ContextPropagators propagators() {
    return openTelemetry.getPropagators();
  }

  /** The tracer for spans this project writes itself. */
  public Tracer tracer() {
    return tracer;
  }

  /** The meter for metrics this project records itself. */
  public Meter meter() {
    return meter;
  }

  /** The Prometheus view of this component's metrics, or null when the SDK is disabled. */
  PrometheusMetricReader metricReader() {
    return metricReader;
  }

  /** Exports every span ended so far; waits at most {@code millis}. */
  public void flush(long millis) {
    if (sdk != null) {
      sdk.getSdkTracerProvider().forceFlush().join(millis, TimeUnit.MILLISECONDS);
    }
  }

  @Override
  public void close() {
    if (runtime != null) {
      runtime.close();
    }
    if (sdk != null) {
      CompletableResultCode done = sdk.shutdown();
      done.join(5, TimeUnit.SECONDS);
    }
  }

  @Override
  public String toString() {
    return "Telemetry{" + serviceName + "}";
  }
}
