package dev.uat.router;

import dev.uat.telemetry.UatAttributes;
import io.opentelemetry.api.common.Attributes;

/**
 * A model on a provider instance: the unit that routing chooses, retries and trips a circuit
 * breaker for. Keeps an exponentially weighted moving average of its latency and its calls in
 * flight, for latency-aware choice among equivalent deployments. Thread-safe.
 */
final class Deployment {
  /** Weight of the newest latency sample in the moving average. */
  static final double EWMA_ALPHA = 0.3;

  private final ProviderInstance instance;
  private final String model;
  private final String key;
  private final CircuitBreaker breaker;
  private final boolean listed;
  private final Attributes attributes; // deployment identity for metrics
  private volatile MetricAttributes metricAttributes; // for the last response model seen
  private volatile double ewmaNanos; // 0: no sample yet, so new deployments get tried
  private final java.util.concurrent.atomic.AtomicInteger inFlight =
      new java.util.concurrent.atomic.AtomicInteger();

  /**
   * @param listed whether a provider listed the model or the configuration names it; when not (a
   *     name a client sent to an instance that was never listed), metric labels say {@value
   *     GenAiTelemetry#OTHER} instead of the name, so no client can grow the metrics
   */
  Deployment(ProviderInstance instance, String model, CircuitBreaker breaker, boolean listed) {
    this.instance = instance;
    this.model = model;
    this.key = instance.name() + "/" + model;
    this.breaker = breaker;
    this.listed = listed;
    this.attributes =
        Attributes.of(
            RouterAttributes.DEPLOYMENT,
            instance.name() + "/" + metricModel(),
            UatAttributes.GEN_AI_PROVIDER_NAME,
            instance.kind(),
            UatAttributes.GEN_AI_REQUEST_MODEL,
            metricModel());
  }

  /** Deployment of a listed (or configured) model. */
  Deployment(ProviderInstance instance, String model, CircuitBreaker breaker) {
    this(instance, model, breaker, true);
  }

  /**
   * Estimated bytes of an unlisted deployment under {@code key}: the key twice (map and the
   * deployment's own, 2 bytes a char plus 40), the model name, the breaker, the attributes and the
   * map node (about 600 together).
   */
  static int weight(String key) {
    return 600 + 6 * key.length();
  }

  /** Whether a provider listed this model, or the configuration names it. */
  boolean listed() {
    return listed;
  }

  /**
   * The model as metric labels show it: its name when listed, else {@value GenAiTelemetry#OTHER}.
   */
  String metricModel() {
    return listed ? model : GenAiTelemetry.OTHER;
  }

  ProviderInstance instance() {
    return instance;
  }

  /** The provider's own model name. */
  String model() {
    return model;
  }

  /** {@code instance/model}. */
  String key() {
    return key;
  }

  CircuitBreaker breaker() {
    return breaker;
  }

  Attributes attributes() {
    return attributes;
  }

  /**
   * The GenAI metric attributes of an answer from this deployment by {@code responseModel}, and
   * their {@code gen_ai.token.type} variants; kept for the last response model, since a deployment
   * nearly always answers as the same model (no attribute building per request).
   */
  record MetricAttributes(
      String responseModel, Attributes base, Attributes input, Attributes output) {}

  MetricAttributes metricAttributes(
      String responseModel, java.util.function.Function<String, Attributes> build) {
    MetricAttributes m = metricAttributes;
    if (m == null || !m.responseModel().equals(responseModel)) {
      Attributes base = build.apply(responseModel);
      m =
          new MetricAttributes(
              responseModel,
              base,
              base.toBuilder().put(UatAttributes.GEN_AI_TOKEN_TYPE, "input").build(),
              base.toBuilder().put(UatAttributes.GEN_AI_TOKEN_TYPE, "output").build());
      metricAttributes = m;
    }
    return m;
  }

  /** Lower is better: latency times load, divided by weight. */
  double score() {
    return (ewmaNanos + 1) * (inFlight.get() + 1) / instance.weight();
  }

  void started() {
    inFlight.incrementAndGet();
  }

  void ended() {
    inFlight.decrementAndGet();
  }

  void recordLatency(long nanos) {
    double old = ewmaNanos;
    ewmaNanos = old == 0 ? nanos : old + EWMA_ALPHA * (nanos - old);
  }

  @Override
  public String toString() {
    return key;
  }
}
