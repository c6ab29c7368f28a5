package dev.uat.observatory;

import static java.util.Objects.requireNonNull;

import dev.uat.observatory.alerts.AlertEvaluator;
import dev.uat.observatory.alerts.AlertRules;
import dev.uat.observatory.alerts.AlertmanagerClient;
import dev.uat.observatory.ingest.Journal;
import dev.uat.observatory.ingest.Pipeline;
import dev.uat.observatory.metrics.GenAiMetrics;
import dev.uat.observatory.metrics.RedMetrics;
import dev.uat.observatory.model.Span;
import dev.uat.observatory.otlp.OtlpGrpcReceiver;
import dev.uat.observatory.otlp.OtlpHttpReceiver;
import dev.uat.observatory.query.ApiV3;
import dev.uat.observatory.query.JaegerQueryApi;
import dev.uat.observatory.store.InMemoryStorage;
import dev.uat.observatory.store.SpanStore;
import dev.uat.observatory.ui.HostCheck;
import dev.uat.observatory.ui.UiApi;
import dev.uat.observatory.ui.UiAuth;
import dev.uat.observatory.ui.UiRoutes;
import dev.uat.observatory.zipkin.ZipkinHttpReceiver;
import dev.uat.telemetry.Telemetry;
import dev.uat.web.Closer;
import dev.uat.web.Service;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The embedded trace backend. Four servers:
 *
 * <ul>
 *   <li>the OTLP/HTTP receiver ({@code POST /v1/traces} on {@link #otlpPort()}, service {@code
 *       observatory-otlp});
 *   <li>the OTLP/gRPC receiver ({@code TraceService/Export} over HTTP/2 cleartext on {@link
 *       #otlpGrpcPort()}; {@link OtlpGrpcReceiver}), which serves nothing else;
 *   <li>the Zipkin v2 receiver ({@code POST /api/v2/spans} on {@link #zipkinPort()}, service {@code
 *       observatory-zipkin});
 *   <li>the query port ({@link #queryPort()}, service {@code observatory}): the Jaeger v1 query
 *       API, Jaeger api_v3, the UI and its JSON, {@code /api/alerts}.
 * </ul>
 *
 * The three HTTP/1.1 servers also serve {@code /health/live}, {@code /health/ready} and {@code
 * /metrics} (with the spanmetrics RED metrics of the spans received).
 *
 * <p>Behind them: a bounded in-memory store, RED and GenAI metrics fed by a background worker, the
 * alert evaluator, and (when {@link ObservatorySettings#persist()}) a journal on disk replayed at
 * start. {@link #start} binds every port and returns once they accept connections; it throws (and
 * leaves nothing running) when a port cannot be bound. Thread-safe. {@link #close()} stops
 * everything and drops the stored spans (the journal keeps them).
 *
 * <p>The query port checks the {@code Host} header while it listens on loopback (a page on another
 * site cannot reach it through DNS rebinding), and needs {@link ObservatorySettings#token()} when
 * it does not: starting on another address without a token fails.
 *
 * <p>The {@link Telemetry} given records the observatory's own metrics ({@code
 * uat.observatory.spans.received}, {@code .spans.rejected}, {@code .traces.evicted}, {@code
 * .store.bytes}, {@code .store.limit}, {@code .store.index}, {@code .store.services}, {@code
 * .store.traces}, {@code .store.spans}, {@code .ingest.refused}, {@code .ingest.in_flight}, {@code
 * .ingest.in_flight.limit}, {@code .ingest.truncated}, {@code .derived.dropped}, {@code
 * .journal.dropped}, {@code .in_process.dropped}, {@code .alerts.firing}) and the spanmetrics. Its
 * traces must be off: a traced ingest would export spans about each export, to itself.
 */
public final class Observatory implements AutoCloseable {

  /** The observatory's folder in the data directory. */
  public static final String DIRECTORY = "observatory";

  private final InMemoryStorage storage;
  private final Pipeline pipeline;
  private final AlertEvaluator alerts;
  private final Service otlp;
  private final OtlpGrpcReceiver grpc;
  private final Service zipkin;
  private final Service query;
  private final String token; // null when none is needed
  private final Closer open;

  private Observatory(
      InMemoryStorage storage,
      Pipeline pipeline,
      AlertEvaluator alerts,
      Service otlp,
      OtlpGrpcReceiver grpc,
      Service zipkin,
      Service query,
      String token,
      Closer open) {
    this.storage = storage;
    this.pipeline = pipeline;
    this.alerts = alerts;
    this.otlp = otlp;
    this.grpc = grpc;
    this.zipkin = zipkin;
    this.query = query;
    this.token = token;
    this.open = open;
  }

  /**
   * Starts the receivers, the query API and UI, and what runs behind them.
   *
   * @throws IllegalArgumentException when the host is not a loopback address and no token is set
   * @throws RuntimeException when a server cannot start (e.g. the port is taken), the data
   *     directory cannot be used or the alert rules file is invalid
   */
  public static Observatory start(ObservatorySettings settings, Telemetry telemetry) {
    return start(settings, telemetry, Clock.systemUTC());
  }

  static Observatory start(ObservatorySettings settings, Telemetry telemetry, Clock clock) {
    requireNonNull(settings, "settings");
    requireNonNull(telemetry, "telemetry");
    Meter meter = telemetry.meter();
    Closer open = new Closer();
    return open.startOrClose(
        () -> {
          String token = settings.token();
          if (token == null && !settings.loopback()) {
            throw new IllegalArgumentException(
                "the observatory would listen on "
                    + settings.host()
                    + ", which is not a loopback address: its UI and query API would be open to"
                    + " the network. Set observatory-token (a long random secret) or bind it to"
                    + " 127.0.0.1");
          }
          InMemoryStorage storage = new InMemoryStorage(settings.maxStoreBytes());
          open.register(storage);
          storeMetrics(storage, meter).forEach(open::register);
          RedMetrics red = new RedMetrics(meter);
          GenAiMetrics genAi = new GenAiMetrics();
          Pipeline pipeline =
              new Pipeline(
                  storage,
                  List.of(red, genAi),
                  meter,
                  settings.maxInFlightBytes(),
                  Pipeline.DEFAULT_QUEUE_BYTES);
          open.register(pipeline);
          OtlpHttpReceiver otlpReceiver = new OtlpHttpReceiver(pipeline, meter);
          ZipkinHttpReceiver zipkinReceiver = new ZipkinHttpReceiver(pipeline, meter);
          Path home = settings.dataDir() == null ? null : settings.dataDir().resolve(DIRECTORY);
          if (settings.persist()) {
            Journal journal =
                Journal.open(
                    home.resolve("journal"),
                    settings.maxStoreBytes(),
                    Math.max(1 << 20, settings.maxStoreBytes() / 8),
                    meter,
                    (format, body, receivedMillis) -> {
                      List<Span> spans =
                          switch (format) {
                            case ZIPKIN_JSON -> zipkinReceiver.decodeStored(body);
                            default -> otlpReceiver.decodeStored(format, body);
                          };
                      pipeline.replay(spans, receivedMillis);
                    });
            open.register(journal);
            pipeline.attach(journal);
          }
          pipeline.start();

          Service otlp =
              Service.builder("observatory-otlp", telemetry)
                  .host(settings.host())
                  .port(settings.otlpPort())
                  .maxBodyBytes(OtlpHttpReceiver.MAX_BODY_BYTES)
                  .readiness("store", storage::check)
                  .routes(otlpReceiver::register)
                  .start();
          open.register(otlp);
          OtlpGrpcReceiver grpc =
              OtlpGrpcReceiver.start(pipeline, meter, settings.host(), settings.otlpGrpcPort());
          open.register(grpc);
          Service zipkin =
              Service.builder("observatory-zipkin", telemetry)
                  .host(settings.host())
                  .port(settings.zipkinPort())
                  .maxBodyBytes(OtlpHttpReceiver.MAX_BODY_BYTES)
                  .readiness("store", storage::check)
                  .routes(zipkinReceiver::register)
                  .start();
          open.register(zipkin);

          String publicUrl = "http://" + urlHost(settings.host()) + ":";
          AlertmanagerClient alertmanager = null;
          Service query = null;
          AlertEvaluator alerts =
              new AlertEvaluator(
                  home == null ? null : home.resolve(AlertRules.FILE_NAME),
                  AlertRules.defaults(),
                  red,
                  storage,
                  null,
                  meter,
                  clock);
          open.register(alerts);
          JaegerQueryApi jaeger = new JaegerQueryApi(storage, clock);
          ApiV3 v3 = new ApiV3(storage);
          UiApi ui =
              new UiApi(
                  storage,
                  red,
                  genAi,
                  alerts,
                  clock,
                  params -> JaegerQueryApi.searchQuery(params, clock.millis()));
          UiRoutes pages = new UiRoutes();
          UiAuth auth = token == null ? null : new UiAuth(token);
          HostCheck hosts =
              settings.loopback() ? new HostCheck(settings.allowedHosts(), meter) : null;
          query =
              Service.builder("observatory", telemetry)
                  .host(settings.host())
                  .port(settings.queryPort())
                  .readiness("store", storage::check)
                  .routes(
                      cfg -> {
                        if (hosts != null) {
                          hosts.register(cfg);
                        }
                        if (auth != null) {
                          auth.register(cfg);
                        }
                        jaeger.register(cfg);
                        v3.register(cfg);
                        ui.register(cfg);
                        pages.register(cfg);
                      })
                  .start();
          open.register(query);
          if (settings.alertmanagerUrl() != null) {
            alertmanager =
                new AlertmanagerClient(settings.alertmanagerUrl(), publicUrl + query.port());
            alerts.sendTo(alertmanager);
          }
          alerts.start();
          return new Observatory(storage, pipeline, alerts, otlp, grpc, zipkin, query, token, open);
        });
  }

  private static String urlHost(String host) {
    if (host.equals("0.0.0.0") || host.equals("::") || host.isEmpty()) {
      return "127.0.0.1";
    }
    return host.contains(":") ? "[" + host + "]" : host;
  }

  private static List<AutoCloseable> storeMetrics(InMemoryStorage storage, Meter meter) {
    List<AutoCloseable> instruments = new ArrayList<>();
    instruments.add(
        meter
            .counterBuilder("uat.observatory.traces.evicted")
            .setUnit("{trace}")
            .setDescription("Traces evicted from the store to stay within its byte budget")
            .buildWithCallback(m -> m.record(storage.stats().evictedTraces())));
    instruments.add(
        meter
            .gaugeBuilder("uat.observatory.store.bytes")
            .ofLongs()
            .setUnit("By")
            .setDescription("Approximate heap held by stored spans and their indexes")
            .buildWithCallback(m -> m.record(storage.stats().bytes())));
    instruments.add(
        meter
            .gaugeBuilder("uat.observatory.store.limit")
            .ofLongs()
            .setUnit("By")
            .setDescription("The store's byte budget (observatory-max-bytes)")
            .buildWithCallback(m -> m.record(storage.maxBytes())));
    instruments.add(
        meter
            .gaugeBuilder("uat.observatory.store.index")
            .ofLongs()
            .setUnit("By")
            .setDescription("Part of the store's bytes held by the service and operation indexes")
            .buildWithCallback(m -> m.record(storage.stats().indexBytes())));
    instruments.add(
        meter
            .gaugeBuilder("uat.observatory.store.services")
            .ofLongs()
            .setUnit("{service}")
            .setDescription("Services with spans in the store")
            .buildWithCallback(m -> m.record(storage.stats().services())));
    instruments.add(
        meter
            .gaugeBuilder("uat.observatory.store.traces")
            .ofLongs()
            .setUnit("{trace}")
            .setDescription("Traces in the store")
            .buildWithCallback(m -> m.record(storage.stats().traces())));
    instruments.add(
        meter
            .gaugeBuilder("uat.observatory.store.spans")
            .ofLongs()
            .setUnit("{span}")
            .setDescription("Spans in the store")
            .buildWithCallback(m -> m.record(storage.stats().spans())));
    return instruments;
  }

  /** The OTLP receiver's bound port. */
  public int otlpPort() {
    return otlp.port();
  }

  /** The OTLP/gRPC receiver's bound port. */
  public int otlpGrpcPort() {
    return grpc.port();
  }

  /**
   * {@code http://127.0.0.1:<otlpGrpcPort>}: the endpoint of a gRPC OTLP exporter (HTTP/2
   * cleartext).
   */
  public String otlpGrpcUrl() {
    return "http://127.0.0.1:" + otlpGrpcPort();
  }

  /** The query API's (and UI's) bound port. */
  public int queryPort() {
    return query.port();
  }

  /** The Zipkin receiver's bound port. */
  public int zipkinPort() {
    return zipkin.port();
  }

  /** {@code http://127.0.0.1:<otlpPort>}; OTLP exporters append {@code /v1/traces}. */
  public String otlpUrl() {
    return "http://127.0.0.1:" + otlpPort();
  }

  /** {@code http://127.0.0.1:<queryPort>}: the UI ({@code /trace/<id>}) and the query API. */
  public String queryUrl() {
    return "http://127.0.0.1:" + queryPort();
  }

  /** {@code http://127.0.0.1:<zipkinPort>}; Zipkin reporters post to {@code /api/v2/spans}. */
  public String zipkinUrl() {
    return "http://127.0.0.1:" + zipkinPort();
  }

  /** The token the query port requires, when it requires one. */
  public Optional<String> token() {
    return Optional.ofNullable(token);
  }

  /** The read role of the store, for in-process use and tests. */
  public SpanStore store() {
    return storage;
  }

  /** The alert evaluator (its state is also at {@code GET /api/alerts}). */
  public AlertEvaluator alerts() {
    return alerts;
  }

  /**
   * A new exporter for an OpenTelemetry SDK in this JVM that hands its spans to this observatory in
   * process, converted straight into stored spans on the SDK's export thread (no protobuf, no HTTP;
   * {@link dev.uat.observatory.ingest.InProcessExporter}); one per SDK. Empty while persistence is
   * on: the journal records request bodies, which in-process spans do not have, so those SDKs
   * should export over OTLP to {@link #otlpUrl()} instead.
   */
  public Optional<SpanExporter> inProcessExporter() {
    return pipeline.journaled() ? Optional.empty() : Optional.of(pipeline.newInProcessExporter());
  }

  /** Spans received but not yet counted in the RED and GenAI metrics. */
  public long pendingDerivedSpans() {
    return pipeline.queuedSpans();
  }

  @Override
  public void close() {
    open.close();
  }

  @Override
  public String toString() {
    return "Observatory{otlp="
        + otlpUrl()
        + ", otlpGrpc="
        + otlpGrpcUrl()
        + ", zipkin="
        + zipkinUrl()
        + ", query="
        + queryUrl()
        + ", "
        + storage
        + "}";
  }
}
