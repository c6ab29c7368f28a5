package dev.uat.api;

import dev.uat.telemetry.Telemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;

/**
 * The api's own counters, on its {@code /metrics}: every limit hit and every eviction from a
 * byte-bounded limiter. Names and labels are listed in docs/api.md. Thread-safe; never throws.
 */
final class ApiMetrics {
  static final AttributeKey<String> LIMIT = AttributeKey.stringKey("uat.api.limit");
  static final AttributeKey<String> LIMITER = AttributeKey.stringKey("uat.api.limiter");

  /** A limit that refused, cut or shortened something; the label value of {@link #LIMIT}. */
  enum Limit {
    /** Requests per user per minute (429). */
    REQUESTS("requests_per_minute"),
    /** Chats per user per minute (429). */
    CHATS("chats_per_minute"),
    /** Login and register attempts per client address per minute (429). */
    LOGINS_PER_ADDRESS("logins_per_address"),
    /** A chat message longer than {@link ApiSettings#maxMessageChars} (400). */
    MESSAGE_CHARS("message_chars"),
    /** A key not made: the account holds {@link ApiKeys#MAX_KEYS_PER_USER} active ones (409). */
    KEYS_PER_USER("keys_per_user"),
    /** A login refused because its (account, address) pair is backing off (429). */
    LOGIN_BACKOFF("login_backoff"),
    /** A conversation page ended early at the response byte cap. */
    CONVERSATION_BYTES("conversation_response_bytes"),
    /** A message longer than the whole response cap, sent cut. */
    MESSAGE_TRUNCATED("message_truncated"),
    /** Earlier messages left out of a chat's context at the history byte budget. */
    HISTORY_BYTES("history_bytes");

    final String label;
    final Attributes attributes;

    Limit(String label) {
      this.label = label;
      this.attributes = Attributes.of(LIMIT, label);
    }
  }

  private final LongCounter hits;
  private final LongCounter evictions;

  ApiMetrics(Telemetry telemetry) {
    Meter meter = telemetry.meter();
    hits =
        meter
            .counterBuilder("uat.api.limit.hits")
            .setUnit("{hit}")
            .setDescription("Requests refused, pages cut or contexts shortened by a limit.")
            .build();
    evictions =
        meter
            .counterBuilder("uat.api.limiter.evictions")
            .setUnit("{entry}")
            .setDescription("Entries dropped from a rate limiter at its byte budget.")
            .build();
  }

  /** For tests and callers without telemetry: counts nothing. */
  static ApiMetrics noop() {
    return new ApiMetrics(Telemetry.noop("uat-api"));
  }

  void hit(Limit limit) {
    hits.add(1, limit.attributes);
  }

  void evicted(String limiter, long n) {
    if (n > 0) {
      evictions.add(n, Attributes.of(LIMITER, limiter));
    }
  }
}
