package dev.uat.observatory;

import static java.util.Objects.requireNonNull;

import dev.uat.observatory.otlp.OtlpHttpReceiver;
import dev.uat.observatory.query.JaegerQueryApi;
import dev.uat.observatory.store.InMemoryStorage;
import dev.uat.observatory.store.SpanStore;
import dev.uat.telemetry.Telemetry;
import dev.uat.web.Service;
import io.opentelemetry.api.metrics.Meter;
import java.util.ArrayList;
import java.util.List;

/**
 * The embedded trace backend: an OTLP/HTTP receiver ({@code POST /v1/traces} on {@link
 * #otlpPort()}, service {@code observatory-otlp}) and a Jaeger-compatible query API ({@code
 * /api/traces/{id}}, {@code /api/services} on {@link #queryPort()}, service {@code observatory})
 * over a bounded in-memory store. Both servers also serve {@code /health/live}, {@code
 * /health/ready} and {@code /metrics}.
 *
 * <p>{@link #start} binds both ports and returns once they accept connections; it throws (and
 * leaves nothing running) when a port cannot be bound. Thread-safe. {@link #close()} stops both
 * servers and drops the stored spans.
 *
 * <p>The {@link Telemetry} given records the observatory's own metrics ({@code
 * uat.observatory.spans.received}, {@code .spans.rejected}, {@code .traces.evicted}, {@code
 * .store.bytes}, {@code .store.traces}, {@code .store.spans}). Its traces must be off: a traced
 * ingest would export spans about each export, to itself.
 */
public final class Observatory implements AutoCloseable {
  private final InMemoryStorage storage;
  private final Service otlp;
  private final Service query;
  private final List<AutoCloseable> instruments;

  private Observatory(
      InMemoryStorage storage, Service otlp, Service query, List<AutoCloseable> instruments) {
    this.storage = storage;
    this.otlp = otlp;
    this.query = query;
    this.instruments = instruments;
  }

  /**
   * Starts the receiver and the query API.
   *
   * @throws RuntimeException when a server cannot start (e.g. the port is taken)
   */
  public static Observatory start(ObservatorySettings settings, Telemetry telemetry) {
    requireNonNull(settings, "settings");
    requireNonNull(telemetry, "telemetry");
    InMemoryStorage storage = new InMemoryStorage(settings.maxStoreBytes());
    List<AutoCloseable> instruments = storeMetrics(storage, telemetry.meter());
    Service otlp = null;
    try {
      OtlpHttpReceiver receiver = new OtlpHttpReceiver(storage, telemetry.meter());
      otlp =
          Service.builder("observatory-otlp", telemetry)
              .host(settings.host())
              .port(settings.otlpPort())
              .maxBodyBytes(OtlpHttpReceiver.MAX_BODY_BYTES)
              .readiness("store", storage::check)
              .routes(receiver::register)
              .start();
      JaegerQueryApi api = new JaegerQueryApi(storage);
      Service query =
          Service.builder("observatory", telemetry)
              .host(settings.host())
              .port(settings.queryPort())
              .readiness("store", storage::check)
              .routes(api::register)
              .start();
      return new Observatory(storage, otlp, query, instruments);
    } catch (RuntimeException e) {
      if (otlp != null) {
        otlp.close();
      }
      closeAll(instruments);
      storage.close();
      throw e;
    }
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
            .setDescription("Approximate heap held by stored spans")
            .buildWithCallback(m -> m.record(storage.stats().bytes())));
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

  /** The query API's bound port. */
  public int queryPort() {
    return query.port();
  }

  /** {@code http://127.0.0.1:<otlpPort>}; OTLP exporters append {@code /v1/traces}. */
  public String otlpUrl() {
    return "http://127.0.0.1:" + otlpPort();
  }

  /** {@code http://127.0.0.1:<queryPort>}. */
  public String queryUrl() {
    return "http://127.0.0.1:" + queryPort();
  }

  /** The read role of the store, for in-process use and tests. */
  public SpanStore store() {
    return storage;
  }

  @Override
  public void close() {
    otlp.close();
    query.close();
    closeAll(instruments);
    storage.close();
  }

  private static void closeAll(List<AutoCloseable> closeables) {
    for (AutoCloseable closeable : closeables) {
      try {
        closeable.close();
      } catch (Exception e) {
        // instruments do not fail to close
      }
    }
  }

  @Override
  public String toString() {
    return "Observatory{otlp=" + otlpUrl() + ", query=" + queryUrl() + ", " + storage + "}";
  }
}
