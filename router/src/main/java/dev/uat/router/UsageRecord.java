package dev.uat.router;

import static java.util.Objects.requireNonNull;

import java.time.Instant;

/**
 * What one request used.
 *
 * @param at when it ended
 * @param operation {@code chat} or {@code embeddings}
 * @param keyId the API key, or null for a JWT
 * @param userId the account
 * @param requestedModel the model or alias asked for
 * @param model the model that answered, or null when none did
 * @param provider the provider instance that answered, or null
 * @param inputTokens prompt tokens (0 when none were used)
 * @param outputTokens completion tokens
 * @param tokensEstimated whether the counts are the router's estimate
 * @param latencyMillis from the request's arrival to its end
 * @param cacheHit whether the answer came from the cache
 * @param status {@code ok}, {@code cancelled}, or the error code answered
 * @param traceId the request's trace, or null
 */
record UsageRecord(
    Instant at,
    String operation,
    String keyId,
    String userId,
    String requestedModel,
    String model,
    String provider,
    int inputTokens,
    int outputTokens,
    boolean tokensEstimated,
    int latencyMillis,
    boolean cacheHit,
    String status,
    String traceId) {
  UsageRecord {
    requireNonNull(at, "at");
    requireNonNull(operation, "operation");
    requireNonNull(userId, "userId");
    requireNonNull(requestedModel, "requestedModel");
    requireNonNull(status, "status");
    requestedModel = cut(requestedModel, 256);
    model = model == null ? null : cut(model, 256);
    status = cut(status, 64);
  }

  private static String cut(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max);
  }
}
