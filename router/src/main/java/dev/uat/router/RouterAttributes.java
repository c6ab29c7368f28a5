package dev.uat.router;

import static io.opentelemetry.api.common.AttributeKey.booleanKey;
import static io.opentelemetry.api.common.AttributeKey.longKey;
import static io.opentelemetry.api.common.AttributeKey.stringKey;

import io.opentelemetry.api.common.AttributeKey;

/**
 * The router's own attribute keys ({@code uat.router.*}), in one place. Everything else comes from
 * {@code UatAttributes} (the incubating {@code gen_ai.*} keys) or the library's stable
 * semantic-convention constants ({@code ServerAttributes}, {@code ErrorAttributes}, {@code
 * DbAttributes}).
 */
final class RouterAttributes {
  private RouterAttributes() {}

  /** The provider instance an attempt went to (several may share a {@code kind}). */
  static final AttributeKey<String> PROVIDER_INSTANCE = stringKey("uat.router.provider.instance");

  /** 1 for a request's first attempt, then 2, 3, … across retries and fallbacks. */
  static final AttributeKey<Long> ATTEMPT = longKey("uat.router.attempt");

  /** 0 for the first step of the fallback chain, 1 for the first fallback, … */
  static final AttributeKey<Long> FALLBACK_INDEX = longKey("uat.router.fallback_index");

  /** Set (true) when the token counts are the router's estimate. */
  static final AttributeKey<Boolean> USAGE_ESTIMATED = booleanKey("uat.router.usage.estimated");

  /** Set (true) when the caller went away before the streamed answer ended. */
  static final AttributeKey<Boolean> CANCELLED = booleanKey("uat.router.cancelled");

  /** On the request's SERVER span: whether the answer came from the cache. */
  static final AttributeKey<Boolean> CACHE_HIT = booleanKey("uat.router.cache.hit");

  // metric labels
  static final AttributeKey<String> DEPLOYMENT = stringKey("uat.router.deployment");
  static final AttributeKey<String> BREAKER_STATE = stringKey("uat.router.circuit_breaker.state");
  static final AttributeKey<String> CACHE_RESULT = stringKey("uat.router.cache.result");
  static final AttributeKey<String> LIMIT = stringKey("uat.router.rate_limit.kind");
  static final AttributeKey<String> OUTCOME = stringKey("uat.router.usage.outcome");
  static final AttributeKey<String> BUDGET = stringKey("uat.router.budget");
  static final AttributeKey<String> REFUSAL = stringKey("uat.router.refusal");
}
