package dev.uat.observatory.alerts;

import static java.util.Objects.requireNonNull;

import dev.uat.observatory.metrics.RedMetrics;
import dev.uat.observatory.metrics.Stats;
import dev.uat.observatory.model.TraceId;
import dev.uat.observatory.store.SpanStore;
import dev.uat.observatory.store.TraceQuery;
import dev.uat.observatory.store.TraceSummary;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.metrics.ObservableLongGauge;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Evaluates the alert rules over the {@link RedMetrics} every {@code evaluation_interval}, keeps
 * each (rule, service)'s state (pending, firing, resolved) and, when an Alertmanager is configured,
 * posts the firing alerts after each evaluation and each resolved alert once.
 *
 * <p>The rules file is read again when its modification time changes; a file with a mistake keeps
 * the previous rules on and is reported by {@link #rulesError()}. Runs on one daemon thread of its
 * own; reads are thread-safe. Metrics: {@code uat.observatory.alerts.firing}, {@code
 * uat.observatory.alerts.push.failures}.
 */
public final class AlertEvaluator implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AlertEvaluator.class);
  private static final int EXEMPLARS = 5;
  private static final int MAX_RESOLVED = 100;

  private final Path rulesFile; // null: fixed rules
  private final RedMetrics red;
  private final SpanStore store;
  private volatile AlertmanagerClient alertmanager; // null when none
  private final Clock clock;
  private final ReentrantLock lock = new ReentrantLock();
  private final Map<String, Alert> active = new LinkedHashMap<>(); // rule + '\0' + service
  private final Map<String, Long> silentSince = new LinkedHashMap<>();
  private final Deque<Alert> resolved = new ArrayDeque<>();
  private final List<Alert> toSendResolved = new ArrayList<>();
  private final LongCounter pushFailures;
  private final ObservableLongGauge firingGauge;
  private AlertRules rules;
  private long rulesModified = Long.MIN_VALUE;
  private String rulesError;
  private long lastEvaluation;
  private ScheduledExecutorService scheduler;

  /**
   * @param rulesFile the YAML file (created with the defaults when absent), or null to use {@code
   *     fixedRules}
   * @param alertmanager null when alerts are not pushed
   */
  public AlertEvaluator(
      Path rulesFile,
      AlertRules fixedRules,
      RedMetrics red,
      SpanStore store,
      AlertmanagerClient alertmanager,
      Meter meter,
      Clock clock) {
    this.rulesFile = rulesFile;
    this.red = requireNonNull(red, "red");
    this.store = requireNonNull(store, "store");
    this.alertmanager = alertmanager;
    this.clock = requireNonNull(clock, "clock");
    this.rules = rulesFile == null ? requireNonNull(fixedRules, "fixedRules") : null;
    if (rulesFile != null) {
      this.rulesModified = modified(rulesFile);
      try {
        this.rules = AlertRules.loadOrCreate(rulesFile);
      } catch (IllegalArgumentException e) {
        // a broken file must not stop the platform: the shipped rules stand in, the error shows
        this.rules = AlertRules.defaults();
        this.rulesError = e.getMessage();
        log.warn(
            "alert rules in {} refused, using the shipped ones: {}", rulesFile, e.getMessage());
      }
      this.rulesModified = modified(rulesFile);
    }
    this.pushFailures =
        meter
            .counterBuilder("uat.observatory.alerts.push.failures")
            .setUnit("{request}")
            .setDescription("Failed posts of alerts to the Alertmanager")
            .build();
    this.firingGauge =
        meter
            .gaugeBuilder("uat.observatory.alerts.firing")
            .ofLongs()
            .setUnit("{alert}")
            .setDescription("Alerts firing now")
            .buildWithCallback(m -> m.record(firingCount()));
  }

  /** Pushes alerts to {@code client} from now on. */
  public void sendTo(AlertmanagerClient client) {
    this.alertmanager = requireNonNull(client, "client");
  }

  /** Evaluates now and then every {@code evaluation_interval}, on a daemon thread. */
  public void start() {
    scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().daemon().name("observatory-alerts").unstarted(r));
    scheduleNext(0);
  }

  private void scheduleNext(long delayMillis) {
    try {
      scheduler.schedule(this::tick, delayMillis, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // closed
    }
  }

  private void tick() {
    try {
      evaluate(clock.millis());
    } catch (RuntimeException e) {
      log.warn("alert evaluation failed", e);
    }
    scheduleNext(rules().evaluationIntervalMillis());
  }

  /** The rules in force. */
  public AlertRules rules() {
    lock.lock();
    try {
      return rules;
    } finally {
      lock.unlock();
    }
  }

  /** Why the rules file was refused at its last change, or null when it is fine. */
  public String rulesError() {
    lock.lock();
    try {
      return rulesError;
    } finally {
      lock.unlock();
    }
  }

  public Path rulesFile() {
    return rulesFile;
  }

  /** When the rules were last evaluated, epoch millis; 0 before the first time. */
  public long lastEvaluation() {
    lock.lock();
    try {
      return lastEvaluation;
    } finally {
      lock.unlock();
    }
  }

  /** Pending and firing alerts, in the order they became active. */
  public List<Alert> active() {
    lock.lock();
    try {
      return List.copyOf(active.values());
    } finally {
      lock.unlock();
    }
  }

  /** Recently resolved alerts, the latest first (at most 100). */
  public List<Alert> resolved() {
    lock.lock();
    try {
      return List.copyOf(resolved);
    } finally {
      lock.unlock();
    }
  }

  private long firingCount() {
    return active().stream().filter(a -> a.state() == Alert.State.FIRING).count();
  }

  /** Evaluates every rule for every service at {@code now}; pushes to the Alertmanager. */
  public void evaluate(long now) {
    List<Alert> firing;
    List<Alert> newlyResolved;
    lock.lock();
    try {
      reloadIfChanged();
      Map<String, Long> services = red.lastSeen();
      Map<String, Alert> seen = new LinkedHashMap<>();
      for (AlertRule rule : rules.rules()) {
        for (Map.Entry<String, Long> service : services.entrySet()) {
          if (!rule.appliesTo(service.getKey())) {
            continue;
          }
          Measured m = measure(rule, service.getKey(), service.getValue(), now);
          String key = rule.name() + '\0' + service.getKey();
          if (m == null) {
            continue;
          }
          Alert previous = active.get(key);
          long since = previous == null ? now : previous.activeSinceMillis();
          boolean fire = now - since >= rule.forMillis();
          long firedAt =
              previous != null && previous.firedAtMillis() != 0
                  ? previous.firedAtMillis()
                  : (fire ? now : 0);
          seen.put(
              key,
              new Alert(
                  rule.name(),
                  service.getKey(),
                  rule.severity(),
                  fire ? Alert.State.FIRING : Alert.State.PENDING,
                  m.value,
                  rule.threshold(),
                  since,
                  firedAt,
                  0,
                  summary(rule, service.getKey(), m),
                  m.exemplars));
        }
      }
      newlyResolved = new ArrayList<>();
      for (Map.Entry<String, Alert> previous : active.entrySet()) {
        if (!seen.containsKey(previous.getKey())
            && previous.getValue().state() == Alert.State.FIRING) {
          Alert a = previous.getValue();
          Alert done =
              new Alert(
                  a.rule(),
                  a.service(),
                  a.severity(),
                  Alert.State.RESOLVED,
                  a.value(),
                  a.threshold(),
                  a.activeSinceMillis(),
                  a.firedAtMillis(),
                  now,
                  a.summary(),
                  a.exemplarTraceIds());
          resolved.addFirst(done);
          newlyResolved.add(done);
          if (resolved.size() > MAX_RESOLVED) {
            resolved.removeLast();
          }
        }
      }
      active.clear();
      active.putAll(seen);
      lastEvaluation = now;
      firing = active.values().stream().filter(a -> a.state() == Alert.State.FIRING).toList();
      toSendResolved.addAll(newlyResolved);
    } finally {
      lock.unlock();
    }
    push(firing, now);
  }

  private void push(List<Alert> firing, long now) {
    AlertmanagerClient alertmanager = this.alertmanager;
    if (alertmanager == null) {
      return;
    }
    List<Alert> batch = new ArrayList<>(firing);
    List<Alert> resolvedBatch;
    lock.lock();
    try {
      resolvedBatch = List.copyOf(toSendResolved);
      toSendResolved.clear();
    } finally {
      lock.unlock();
    }
    batch.addAll(resolvedBatch);
    if (batch.isEmpty()) {
      return;
    }
    long endsAt = now + Math.max(60_000, 4 * rules().evaluationIntervalMillis());
    try {
      alertmanager.send(batch, endsAt);
    } catch (IOException e) {
      pushFailures.add(1);
      log.warn("cannot post alerts to {}: {}", alertmanager.endpoint(), e.getMessage());
      lock.lock();
      try {
        toSendResolved.addAll(0, resolvedBatch); // try the resolutions again next time
      } finally {
        lock.unlock();
      }
    }
  }

  private record Measured(double value, List<String> exemplars) {}

  /** The rule's measurement when its condition holds, else null. */
  private Measured measure(AlertRule rule, String service, long lastSeen, long now) {
    switch (rule.kind()) {
      case LATENCY -> {
        Stats s = red.stats(service, "", rule.spanKinds(), now - rule.windowMillis(), now);
        if (s.calls() < Math.max(1, rule.minCalls())) {
          return null;
        }
        double value = s.quantileMillis(rule.percentile() / 100.0);
        if (!(value > rule.threshold())) {
          return null;
        }
        List<TraceId> ids = s.tracesSlowerThan(rule.threshold(), EXEMPLARS);
        return new Measured(value, hex(ids.isEmpty() ? s.slowestTraces(EXEMPLARS) : ids));
      }
      case ERROR_RATIO -> {
        Stats s = red.stats(service, "", rule.spanKinds(), now - rule.windowMillis(), now);
        if (s.calls() < Math.max(1, rule.minCalls()) || !(s.errorRatio() > rule.threshold())) {
          return null;
        }
        return new Measured(s.errorRatio(), hex(s.errorTraces(EXEMPLARS)));
      }
      case SILENCE -> {
        long silent = now - lastSeen;
        if (silent < rule.windowMillis()) {
          silentSince.remove(rule.name() + '\0' + service);
          return null;
        }
        String key = rule.name() + '\0' + service;
        Long alreadyFor = silentSince.get(key);
        if (alreadyFor == null || alreadyFor != lastSeen) {
          // decide once per silence whether the service had been sending steadily before it
          Stats before =
              red.stats(service, "", rule.spanKinds(), lastSeen - rule.baselineMillis(), lastSeen);
          long baselineStart = Math.max(lastSeen - rule.baselineMillis(), red.firstSeen(service));
          double minutes = Math.max(1, (lastSeen - baselineStart) / 60_000.0);
          if (lastSeen - red.firstSeen(service) < rule.baselineMillis() / 2
              || before.calls() / minutes < rule.minRatePerMinute()) {
            return null;
          }
          silentSince.put(key, lastSeen);
        }
        List<String> latest = new ArrayList<>();
        for (TraceSummary summary :
            store.findTraceSummaries(TraceQuery.service(service).withLimit(EXEMPLARS))) {
          latest.add(summary.traceId().toHex());
        }
        return new Measured(silent / 1000.0, latest);
      }
      default -> throw new IllegalStateException();
    }
  }

  private static List<String> hex(List<TraceId> ids) {
    return ids.stream().map(TraceId::toHex).toList();
  }

  private static String summary(AlertRule rule, String service, Measured m) {
    String value =
        switch (rule.kind()) {
          case LATENCY -> String.format(Locale.ROOT, "%.1f", m.value);
          case ERROR_RATIO -> String.format(Locale.ROOT, "%.1f%%", m.value * 100);
          case SILENCE -> String.format(Locale.ROOT, "%.0fs", m.value);
        };
    String threshold =
        switch (rule.kind()) {
          case LATENCY -> String.format(Locale.ROOT, "%.0f", rule.threshold());
          case ERROR_RATIO -> String.format(Locale.ROOT, "%.1f%%", rule.threshold() * 100);
          case SILENCE -> "";
        };
    return rule.summary()
        .replace("{rule}", rule.name())
        .replace("{service}", service)
        .replace("{value}", value)
        .replace("{threshold}", threshold)
        .replace("{window}", window(rule.windowMillis()));
  }

  private static String window(long millis) {
    if (millis % 3_600_000 == 0) {
      return millis / 3_600_000 + "h";
    }
    if (millis % 60_000 == 0) {
      return millis / 60_000 + "m";
    }
    return millis / 1000 + "s";
  }

  private void reloadIfChanged() {
    if (rulesFile == null) {
      return;
    }
    long modified = modified(rulesFile);
    if (modified == rulesModified) {
      return;
    }
    rulesModified = modified;
    try {
      rules = AlertRules.loadOrCreate(rulesFile);
      rulesError = null;
      log.info("alert rules reloaded from {}", rulesFile);
    } catch (RuntimeException e) {
      rulesError = e.getMessage();
      log.warn(
          "alert rules in {} refused, the previous ones stay on: {}", rulesFile, e.getMessage());
    }
  }

  private static long modified(Path file) {
    try {
      return Files.getLastModifiedTime(file).toMillis() ^ Files.size(file);
    } catch (IOException e) {
      return -1;
    }
  }

  @Override
  public void close() {
    if (scheduler != null) {
      scheduler.shutdownNow();
    }
    firingGauge.close();
  }
}
