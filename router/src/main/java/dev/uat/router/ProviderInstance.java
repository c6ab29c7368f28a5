package dev.uat.router;

import dev.uat.router.provider.Model;
import dev.uat.router.provider.Provider;
import dev.uat.router.provider.ProviderException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Semaphore;

/**
 * One configured provider instance: its {@link Provider}, the name model references use ({@code
 * name/model}), its weight among equivalent deployments, its concurrency cap, whether its answers
 * are cached, and the models it listed last. Thread-safe.
 */
final class ProviderInstance {
  private final String name;
  private final Provider provider;
  private final int weight;
  private final Semaphore permits; // null: no cap
  private final int maxConcurrency;
  private final boolean cacheable;
  private volatile List<Model> models; // null until listed once
  private volatile String lastFailure;

  ProviderInstance(
      String name, Provider provider, int weight, int maxConcurrency, boolean cacheable) {
    this.name = name;
    this.provider = provider;
    this.weight = Math.max(1, weight);
    this.maxConcurrency = maxConcurrency;
    this.permits = maxConcurrency > 0 ? new Semaphore(maxConcurrency) : null;
    this.cacheable = cacheable;
    this.lastFailure = name + " has not been listed yet";
  }

  String name() {
    return name;
  }

  /** The provider kind, e.g. {@code ollama}. */
  String kind() {
    return provider.name();
  }

  Provider provider() {
    return provider;
  }

  int weight() {
    return weight;
  }

  boolean cacheable() {
    return cacheable;
  }

  /** Takes a concurrency permit, if one is free. */
  boolean tryAcquire() {
    return permits == null || permits.tryAcquire();
  }

  /** Whether a permit is free now (no change). */
  boolean hasCapacity() {
    return permits == null || permits.availablePermits() > 0;
  }

  void release() {
    if (permits != null) {
      permits.release();
    }
  }

  /** Calls in flight, when capped (0 otherwise). */
  int inFlight() {
    return permits == null ? 0 : maxConcurrency - permits.availablePermits();
  }

  /** The models listed last; null when the provider never answered. */
  List<Model> models() {
    return models;
  }

  String lastFailure() {
    return lastFailure;
  }

  /** Lists the models now; remembers the answer or the failure. */
  List<Model> refresh(Duration timeout) {
    try {
      List<Model> listed = provider.models(timeout);
      models = listed;
      return listed;
    } catch (ProviderException e) {
      lastFailure = e.getMessage();
      throw e;
    }
  }

  void setModels(List<Model> listed) {
    models = List.copyOf(listed);
  }

  /** The name this instance serves {@code requested} under, or null ({@code :latest} implied). */
  String find(String requested) {
    List<Model> known = models;
    if (known == null || requested.isEmpty()) {
      return null;
    }
    String latest = requested.indexOf(':') < 0 ? requested + ":latest" : null;
    for (Model m : known) {
      if (m.id().equals(requested) || m.id().equals(latest)) {
        return m.id();
      }
    }
    return null;
  }

  @Override
  public String toString() {
    return "ProviderInstance{" + name + ", " + provider + "}";
  }
}
