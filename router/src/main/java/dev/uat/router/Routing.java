package dev.uat.router;

import dev.uat.router.provider.ProviderException;
import dev.uat.web.HttpError;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one request over a {@link Route}: picks a deployment of the first step (weighted
 * power-of-two-choices on latency × load, skipping open circuits and full concurrency caps),
 * retries a failure among the step's deployments while the step's retry allowance and the global
 * {@link RetryBudget} last (with exponential backoff and jitter), then falls back to the next step.
 * Only failures that another deployment may not share (connect errors, timeouts, 429, 5xx, broken
 * answers) are retried or fallen back from; a rejected request fails at once.
 *
 * <p>A streamed answer fails over only before its first piece: the attempt returns once that piece
 * arrived, and keeps its {@link Lease} until the stream ends.
 *
 * <p>Thread-safe; blocks the calling (virtual) thread during backoff.
 */
final class Routing {
  private static final Logger log = LoggerFactory.getLogger(Routing.class);

  /** One try on one deployment. */
  @FunctionalInterface
  interface Attempt<T> {
    /**
     * @param attempt 1 for the first try of the request, then 2, 3, …
     * @param fallbackIndex 0 for the first step of the chain, 1 for the first fallback, …
     * @throws ProviderException the deployment's failure
     */
    T run(Deployment d, int attempt, int fallbackIndex, Lease lease);
  }

  /**
   * What an attempt holds: the deployment's concurrency permit and its breaker's verdict. Routing
   * settles and releases it when the attempt returns, unless the attempt {@link #keep() keeps} it
   * (a stream, until it ends).
   */
  static final class Lease {
    private final Deployment deployment;
    private final long startNanos = System.nanoTime();
    private boolean kept;
    private boolean settled;
    private boolean released;

    private Lease(Deployment deployment) {
      this.deployment = deployment;
      deployment.started();
    }

    /** The attempt's result holds the lease beyond its return; it must {@link #release()}. */
    void keep() {
      kept = true;
    }

    /** The deployment answered (the whole answer, or a stream's first piece). */
    synchronized void succeeded() {
      if (!settled) {
        settled = true;
        deployment.recordLatency(System.nanoTime() - startNanos);
        deployment.breaker().onSuccess();
      }
    }

    /** The deployment failed; counts against its breaker when the failure is about its health. */
    synchronized void failed(ProviderException e) {
      switch (e.kind()) {
        case UNAVAILABLE, TIMEOUT, FAILED -> {
          if (!"cancelled".equals(e.errorType())) {
            deployment.breaker().onFailure();
          } else if (!settled) {
            deployment.breaker().onNeutral();
          }
        }
        default -> {
          if (!settled) {
            deployment.breaker().onNeutral();
          }
        }
      }
      settled = true;
    }

    /** Gives the permit back; idempotent. */
    synchronized void release() {
      if (!released) {
        released = true;
        if (!settled) {
          settled = true;
          deployment.breaker().onNeutral();
        }
        deployment.ended();
        deployment.instance().release();
      }
    }
  }

  private final RouterConfig.Routing config;
  private final RetryBudget budget;
  private final RouterMetrics metrics;

  Routing(RouterConfig.Routing config, RetryBudget budget, RouterMetrics metrics) {
    this.config = config;
    this.budget = budget;
    this.metrics = metrics;
  }

  <T> T execute(Route route, Attempt<T> attempt) {
    budget.deposit();
    ProviderException last = null;
    String skipped = null; // why a step had nothing to try: circuit_open or concurrency_limit
    long retryAfterNanos = Long.MAX_VALUE;
    int attemptNo = 0;
    List<List<Deployment>> steps = route.steps();
    for (int stepIndex = 0; stepIndex < steps.size(); stepIndex++) {
      List<Deployment> step = steps.get(stepIndex);
      if (stepIndex > 0) {
        metrics.fallback(
            route.requested(),
            last != null ? last.errorType() : skipped == null ? "_OTHER" : skipped);
      }
      List<Deployment> tried = new ArrayList<>(2);
      int retries = 0;
      while (true) {
        Deployment d = pick(step, tried);
        if (d == null
            && !tried.isEmpty()
            && retries > 0
            && last.kind() != ProviderException.Kind.TIMEOUT) {
          // every deployment was tried once: the retry may reuse one, unless it timed out (it
          // would only make the caller wait as long again)
          d = pick(step, List.of());
        }
        if (d == null) {
          for (Deployment x : step) {
            if (!x.breaker().allowsNow()) {
              skipped = "circuit_open";
              retryAfterNanos = Math.min(retryAfterNanos, x.breaker().nanosUntilProbe());
            } else if (!x.instance().hasCapacity() && skipped == null) {
              skipped = "concurrency_limit";
            }
          }
          break;
        }
        tried.add(d);
        attemptNo++;
        Lease lease = new Lease(d);
        try {
          T result = attempt.run(d, attemptNo, stepIndex, lease);
          lease.succeeded();
          if (!lease.kept) {
            lease.release();
          }
          return result;
        } catch (ProviderException e) {
          lease.failed(e);
          lease.release();
          if (!e.kind().retriable()) {
            throw e;
          }
          last = e;
          log.debug("attempt {} on {} failed: {}", attemptNo, d, e.getMessage());
        } catch (RuntimeException e) {
          lease.release();
          throw e;
        }
        if (retries >= config.retries() || !retryPossible(step, tried, last)) {
          break;
        }
        if (!budget.tryWithdraw()) {
          metrics.retryDenied(d);
          break;
        }
        retries++;
        metrics.retry(d, last.errorType());
        backoff(retries);
      }
    }
    if (last != null) {
      throw last;
    }
    if ("circuit_open".equals(skipped)) {
      long seconds = Math.max(1, TimeUnit.NANOSECONDS.toSeconds(retryAfterNanos + 999_999_999L));
      throw new HttpError(
          503,
          "circuit_open",
          "every deployment of '"
              + route.requested()
              + "' failed recently and is paused (circuit open); retry in "
              + seconds
              + " s",
          seconds);
    }
    throw new HttpError(
        503,
        "overloaded",
        "every deployment of '" + route.requested() + "' is at its concurrency limit",
        1);
  }

  /**
   * Weighted power of two choices among the usable, untried deployments: two drawn by weight, the
   * one with the lower latency × load wins. Takes its breaker pass and concurrency permit; null
   * when none is usable.
   */
  private Deployment pick(List<Deployment> step, List<Deployment> tried) {
    while (true) {
      Deployment a = null;
      Deployment b = null;
      int usable = 0;
      long totalWeight = 0;
      for (Deployment d : step) {
        if (usable(d, tried)) {
          usable++;
          totalWeight += d.instance().weight();
        }
      }
      if (usable == 0) {
        return null;
      }
      if (usable == 1) {
        for (Deployment d : step) {
          if (usable(d, tried)) {
            a = d;
          }
        }
      } else {
        a = draw(step, tried, totalWeight, null);
        b = draw(step, tried, totalWeight - a.instance().weight(), a);
        if (b.score() < a.score()) {
          a = b;
        }
      }
      if (a.breaker().tryAcquire()) {
        if (a.instance().tryAcquire()) {
          return a;
        }
        a.breaker().onNeutral();
      }
      // lost a race for the probe or the permit: it is unusable now, pick again without it
      List<Deployment> without = new ArrayList<>(tried);
      without.add(a);
      tried = without;
    }
  }

  /** A retry needs an untried deployment, or one to reuse after a failure that was quick. */
  private static boolean retryPossible(
      List<Deployment> step, List<Deployment> tried, ProviderException last) {
    for (Deployment d : step) {
      if (usable(d, tried)) {
        return true;
      }
    }
    if (last.kind() == ProviderException.Kind.TIMEOUT) {
      return false;
    }
    for (Deployment d : step) {
      if (usable(d, List.of())) {
        return true;
      }
    }
    return false;
  }

  private static boolean usable(Deployment d, List<Deployment> tried) {
    return !tried.contains(d) && d.breaker().allowsNow() && d.instance().hasCapacity();
  }

  private static Deployment draw(
      List<Deployment> step, List<Deployment> tried, long totalWeight, Deployment except) {
    long r = ThreadLocalRandom.current().nextLong(Math.max(1, totalWeight));
    Deployment chosen = null;
    for (Deployment d : step) {
      if (d == except || !usable(d, tried)) {
        continue;
      }
      chosen = d;
      r -= d.instance().weight();
      if (r < 0) {
        return d;
      }
    }
    return chosen;
  }

  private void backoff(int retry) {
    long initial = config.backoffInitial().toNanos();
    long max = config.backoffMax().toNanos();
    long wait = Math.min(max, initial << Math.min(20, retry - 1));
    long jittered = wait / 2 + ThreadLocalRandom.current().nextLong(Math.max(1, wait / 2 + 1));
    try {
      TimeUnit.NANOSECONDS.sleep(jittered);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
