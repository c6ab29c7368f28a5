package dev.uat.api;

import dev.uat.telemetry.Telemetry;
import dev.uat.web.HttpError;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;

/**
 * The api's own counters, on its {@code /metrics}: every limit hit and every eviction from a
 * byte-bounded limiter. Names and labels are listed in docs/api.md. Thread-safe; never throws.
 *
 * <p>The one place of the api's own attribute keys ({@code uat.api.*}); every other key comes from
 * the library's semantic conventions or {@link dev.uat.telemetry.UatAttributes}.
 */
final class ApiMetrics {
  static final AttributeKey<String> LIMIT = AttributeKey.stringKey("uat.api.limit");
  static final AttributeKey<String> LIMITER = AttributeKey.stringKey("uat.api.limiter");

  /** A limit that refused, cut or shortened something; the label value of {@link #LIMIT}. */
  enum Limit {
    /** Requests per user per minute (429). */
    REQUESTS("requests_per_minute", "rate_limited", "too many requests"),
    /** Chats per user per minute (429). */
    CHATS("chats_per_minute", "rate_limited", "too many chat requests"),
    /** Login and register attempts per client address per minute (429). */
    LOGINS_PER_ADDRESS("logins_per_address", "rate_limited", "too many attempts from this address"),
    /** A chat message longer than {@link ApiSettings#maxMessageChars} (400). */
    MESSAGE_CHARS("message_chars"),
    /** A key not made: the account holds {@link ApiKeys#MAX_KEYS_PER_USER} active ones (409). */
    KEYS_PER_USER("keys_per_user"),
    /** A login refused because its (account, address) pair is backing off (429). */
    LOGIN_BACKOFF(
        "login_backoff",
        "too_many_failures",
        "too many failed attempts for this account from this address"),
    /** A conversation page ended early at the response byte cap. */
    CONVERSATION_BYTES("conversation_response_bytes"),
    /** A message longer than the whole response cap, sent cut. */
    MESSAGE_TRUNCATED("message_truncated"),
    /** Earlier messages left out of a chat's context at the history byte budget. */
    HISTORY_BYTES("history_bytes");

    final Attributes attributes;

    /** A 429 refusal's error code and what it says; null for the limits that do not wait. */
    final String code;

    final String tooMany;

    Limit(String label) {
      this(label, null, null);
    }

    Limit(String label, String code, String tooMany) {
      this.attributes = Attributes.of(LIMIT, label);
      this.code = code;
      this.tooMany = tooMany;
    }
  }

  private final LongCounter hits;
  private final LongCounter evictions;

  ApiMetrics(Telemetry telemetry) {
    Meter meter = telemetry.meter();
    hits =
        counter(
            meter,
            "uat.api.limit.hits",
            "{hit}",
            "Requests refused, pages cut or contexts shortened by a limit.");
    evictions =
        counter(
            meter,
            "uat.api.limiter.evictions",
            "{entry}",
            "Entries dropped from a rate limiter at its byte budget.");
  }

  private static LongCounter counter(Meter meter, String name, String unit, String description) {
    return meter.counterBuilder(name).setUnit(unit).setDescription(description).build();
  }

  void hit(Limit limit) {
    hits.add(1, limit.attributes);
  }

  /**
   * Counts a hit of a limit that makes its caller wait, and returns the 429 to throw, with {@code
   * Retry-After: waitSeconds}.
   */
  HttpError tooMany(Limit limit, long waitSeconds) {
    hit(limit);
    return new HttpError(
        429, limit.code, limit.tooMany + "; retry in " + waitSeconds + " s", waitSeconds);
  }

  void evicted(String limiter, long n) {
    if (n > 0) {
      evictions.add(n, Attributes.of(LIMITER, limiter));
    }
  }
}
