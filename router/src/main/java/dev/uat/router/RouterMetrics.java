package dev.uat.router;

import static dev.uat.router.RouterAttributes.BREAKER_STATE;
import static dev.uat.router.RouterAttributes.BUDGET;
import static dev.uat.router.RouterAttributes.CACHE_RESULT;
import static dev.uat.router.RouterAttributes.LIMIT;
import static dev.uat.router.RouterAttributes.OUTCOME;
import static dev.uat.router.RouterAttributes.REFUSAL;

import dev.uat.telemetry.Telemetry;
import dev.uat.telemetry.UatAttributes;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.metrics.ObservableLongGauge;
import io.opentelemetry.semconv.ErrorAttributes;
import java.util.List;
import java.util.function.Supplier;

/**
 * The router's own metrics, beside the GenAI ones: fallbacks, retries, circuit breaker state and
 * transitions, cache lookups, rate-limit rejections, usage records and the router's overhead.
 * Attribute sets are precomputed where their values are few. Thread-safe.
 */
final class RouterMetrics {

  /** The structures a client can grow, each bounded in bytes; the label of their evictions. */
  enum Structure {
    /** Per-caller rate-limit buckets ({@link RateLimiter#MAX_BYTES}). */
    RATE_LIMIT_BUCKETS("rate_limit_buckets"),
    /** In-process response cache answers ({@link CaffeineResponseCache}). */
    RESPONSE_CACHE("response_cache"),
    /** Deployments of model names no provider listed ({@link ModelCatalog#UNLISTED_BYTES}). */
    UNLISTED_DEPLOYMENTS("unlisted_deployments");

    final Attributes attributes;

    Structure(String label) {
      this.attributes = Attributes.of(BUDGET, label);
    }
  }

  /** Why the router refused or cut something a client sent or caused. */
  enum Refusal {
    /** A model name longer than {@link OpenAiEndpoints#MAX_MODEL_LENGTH}: 400. */
    MODEL_NAME_TOO_LONG("model_name_too_long"),
    /**
     * A streamed answer longer than {@link dev.uat.router.provider.ChatStream#MAX_ANSWER_CHARS}
     * (cut), or a whole one over 16 MiB ({@code UpstreamHttp.MAX_RESPONSE_BYTES}) (502).
     */
    ANSWER_TOO_LONG("answer_too_long"),
    /** A request that did not fit in {@link InFlightBudget#MAX_BYTES}: 503 overloaded. */
    IN_FLIGHT_BYTES("in_flight_bytes"),
    /** A model name no provider listed: its metric labels say {@value GenAiTelemetry#OTHER}. */
    UNLISTED_MODEL_LABEL("unlisted_model_label");

    final Attributes attributes;

    Refusal(String label) {
      this.attributes = Attributes.of(REFUSAL, label);
    }
  }

  /** Buckets of the overhead histogram, in seconds: 5 µs to 10 ms. */
  static final List<Double> OVERHEAD_BUCKETS =
      List.of(
          0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
          0.01);

  private static final Attributes HIT = Attributes.of(CACHE_RESULT, "hit");
  private static final Attributes MISS = Attributes.of(CACHE_RESULT, "miss");
  private static final Attributes REQUESTS = Attributes.of(LIMIT, "requests");
  private static final Attributes TOKENS = Attributes.of(LIMIT, "tokens");
  private static final Attributes WRITTEN = Attributes.of(OUTCOME, "written");
  private static final Attributes DROPPED = Attributes.of(OUTCOME, "dropped");
  private static final Attributes FAILED = Attributes.of(OUTCOME, "failed");

  private final LongCounter fallbacks;
  private final LongCounter retries;
  private final LongCounter retriesDenied;
  private final LongCounter transitions;
  private final LongCounter cacheLookups;
  private final LongCounter rateLimited;
  private final LongCounter usageRecords;
  private final DoubleHistogram overhead;
  private final LongCounter evictions;
  private final LongCounter refusals;
  private ObservableLongGauge breakerGauge;

  RouterMetrics(Telemetry telemetry) {
    Meter meter = telemetry.meter();
    fallbacks =
        meter
            .counterBuilder("uat.router.fallbacks")
            .setUnit("{fallback}")
            .setDescription("Requests moved to the next step of their fallback chain.")
            .build();
    retries =
        meter
            .counterBuilder("uat.router.retries")
            .setUnit("{retry}")
            .setDescription("Retries among the equivalent deployments of one step.")
            .build();
    retriesDenied =
        meter
            .counterBuilder("uat.router.retries.denied")
            .setUnit("{retry}")
            .setDescription("Retries not made because the retry budget was spent.")
            .build();
    transitions =
        meter
            .counterBuilder("uat.router.circuit_breaker.transitions")
            .setUnit("{transition}")
            .setDescription("Circuit breaker state changes, by the state entered.")
            .build();
    cacheLookups =
        meter
            .counterBuilder("uat.router.cache.lookups")
            .setUnit("{lookup}")
            .setDescription("Response cache lookups, by result (hit or miss).")
            .build();
    rateLimited =
        meter
            .counterBuilder("uat.router.rate_limit.rejections")
            .setUnit("{request}")
            .setDescription("Requests refused with 429 by a per-caller limit.")
            .build();
    usageRecords =
        meter
            .counterBuilder("uat.router.usage.records")
            .setUnit("{record}")
            .setDescription("Usage records written, dropped (queue full) or failed to write.")
            .build();
    evictions =
        meter
            .counterBuilder("uat.router.budget.evictions")
            .setUnit("{entry}")
            .setDescription(
                "Entries dropped because a byte budget was full, by structure (rate_limit_buckets,"
                    + " response_cache, unlisted_deployments).")
            .build();
    refusals =
        meter
            .counterBuilder("uat.router.limit.refusals")
            .setUnit("{event}")
            .setDescription(
                "Limits hit by what a client sent or caused: model_name_too_long (400),"
                    + " answer_too_long (cut or 502), in_flight_bytes (503),"
                    + " unlisted_model_label (label collapsed).")
            .build();
    overhead =
        meter
            .histogramBuilder("uat.router.overhead")
            .setUnit("s")
            .setDescription("Time spent in the router itself, upstream calls excluded.")
            .setExplicitBucketBoundariesAdvice(OVERHEAD_BUCKETS)
            .build();
  }

  /** Reports every deployment's breaker state: 1 for its current state, 0 for the others. */
  void observeBreakers(Telemetry telemetry, Supplier<Iterable<Deployment>> deployments) {
    breakerGauge =
        telemetry
            .meter()
            .gaugeBuilder("uat.router.circuit_breaker.state")
            .ofLongs()
            .setUnit("1")
            .setDescription(
                "Circuit breaker state per deployment: 1 for the current state, 0 otherwise.")
            .buildWithCallback(
                m -> {
                  for (Deployment d : deployments.get()) {
                    CircuitBreaker.State now = d.breaker().state();
                    for (CircuitBreaker.State s : CircuitBreaker.State.values()) {
                      m.record(
                          s == now ? 1 : 0,
                          d.attributes().toBuilder().put(BREAKER_STATE, s.label).build());
                    }
                  }
                });
  }

  void fallback(String requested, String errorType) {
    fallbacks.add(
        1,
        Attributes.of(
            UatAttributes.GEN_AI_REQUEST_MODEL, requested, ErrorAttributes.ERROR_TYPE, errorType));
  }

  void retry(Deployment d, String errorType) {
    retries.add(1, d.attributes().toBuilder().put(ErrorAttributes.ERROR_TYPE, errorType).build());
  }

  void retryDenied(Deployment d) {
    retriesDenied.add(1, d.attributes());
  }

  void transition(Deployment d, CircuitBreaker.State to) {
    transitions.add(1, d.attributes().toBuilder().put(BREAKER_STATE, to.label).build());
  }

  void cache(boolean hit) {
    cacheLookups.add(1, hit ? HIT : MISS);
  }

  void rateLimited(boolean tokens) {
    rateLimited.add(1, tokens ? TOKENS : REQUESTS);
  }

  void usageWritten(int n) {
    usageRecords.add(n, WRITTEN);
  }

  void usageDropped() {
    usageRecords.add(1, DROPPED);
  }

  void usageFailed(int n) {
    usageRecords.add(n, FAILED);
  }

  void evicted(Structure s) {
    evictions.add(1, s.attributes);
  }

  void refused(Refusal r) {
    refusals.add(1, r.attributes);
  }

  void overhead(long nanos) {
    overhead.record(nanos / 1e9);
  }

  void close() {
    if (breakerGauge != null) {
      breakerGauge.close();
    }
  }
}
